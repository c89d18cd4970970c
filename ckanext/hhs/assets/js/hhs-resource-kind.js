/* Resource form: show only the fields that apply to the chosen kind of resource (file, API, lakehouse
 * table, documentation). Each such field is wrapped in [data-hhs-kinds]; with no kind chosen every field
 * shows. The notes naming the kinds are for pages without this script. */
this.ckan.module('hhs-resource-kind', function ($) {
  return {
    initialize: function () {
      $.proxyAll(this, /_on/);
      this.kind = this.el.find('#field-resource_kind');
      this.el.find('.hhs-kind-note').prop('hidden', true);
      this.kind.on('change', this._onChange);
      this._onChange();
    },
    _onChange: function () {
      var kind = this.kind.val();
      this.el.find('[data-hhs-kinds]').each(function () {
        var kinds = this.getAttribute('data-hhs-kinds').split(' ');
        this.hidden = Boolean(kind) && kinds.indexOf(kind) === -1;
      });
    }
  };
});
