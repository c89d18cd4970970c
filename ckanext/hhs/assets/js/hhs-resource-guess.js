/* Resource form: a link (or an uploaded file) names the resource and tells its format and media type.
 * As staff type a link, the name, format and media type are filled from it (hhs_resource_guess, the
 * same guess the server makes for a resource created without a format), but never over what they
 * typed: a field that had a value when the page opened, or that they changed, stays theirs. */
this.ckan.module('hhs-resource-guess', function ($) {
  return {
    initialize: function () {
      $.proxyAll(this, /_on/);
      var form = this.el.closest('form');
      var self = this;
      this.url = form.find('#field-resource-url');
      this.fields = {
        name: form.find('#field-name'),
        format: form.find('#field-format'),
        mimetype: form.find('#field-mimetype')
      };
      this.theirs = {};
      this.filling = false;
      $.each(this.fields, function (key, field) {
        self.theirs[key] = Boolean(field.val());
        field.on('input change', function () {
          if (!self.filling) {
            self.theirs[key] = Boolean(field.val());
          }
        });
      });
      this.url.on('input change', this._onLink);
      form.find('#field-resource-upload').on('change', this._onUpload);
    },
    _onLink: function () {
      this._guess(this.url.val());
    },
    _onUpload: function (event) {
      var file = event.target.files && event.target.files[0];
      if (file) {
        this._guess(file.name);
      }
    },
    _guess: function (link) {
      var self = this;
      window.clearTimeout(this.timer);
      link = $.trim(link || '');
      this.latest = link;
      if (!link) {
        return;
      }
      this.timer = window.setTimeout(function () {
        $.getJSON(self.sandbox.client.url('/api/3/action/hhs_resource_guess'), {url: link})
          .done(function (answer) {
            if (answer && answer.success && self.latest === link) {  // not an answer to an older link
              self._fill(answer.result);
            }
          });
      }, 250);
    },
    _fill: function (guess) {
      var self = this;
      this.filling = true;
      $.each(this.fields, function (key, field) {
        if (!field.length || self.theirs[key]) {
          return;
        }
        field.val(guess[key] || '');
        if (field.data('select2')) {
          field.trigger('change');  // the format's autocomplete shows the value it holds
        }
      });
      this.filling = false;
    }
  };
});
