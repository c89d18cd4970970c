/* Glossary term picker: a WAI-ARIA combobox over /api/2/util/hhs_glossary/autocomplete.
 *
 * The user types, the listbox shows approved terms by label (with their definition), the arrow keys
 * move, Enter or a click chooses; each chosen term is a chip holding a hidden input with its slug.
 * Enter never submits the form with the typed text.
 */
this.ckan.module('hhs-glossary-picker', function ($) {
  return {
    options: { source: '', name: '', single: false, none: '', found: '', added: '', removed: '' },

    initialize: function () {
      $.proxyAll(this, /_on/);
      this.input = this.el.find('.hhs-picker__input');
      this.listbox = this.el.find('.hhs-picker__listbox');
      this.chosen = this.el.find('.hhs-picker__chosen');
      this.status = this.el.find('.hhs-picker__status');
      this.results = [];
      this.active = -1;
      this.timer = null;
      this.input.on('input', this._onInput);
      this.input.on('keydown', this._onKeydown);
      this.input.on('blur', this._onBlur);
      this.listbox.on('mousedown', '[role=option]', this._onPick);
      this.chosen.on('click', '.hhs-picker__remove', this._onRemove);
    },

    values: function () {
      return this.chosen.find('input[type=hidden]').map(function () { return this.value; }).get();
    },

    _onInput: function () {
      var self = this;
      var typed = $.trim(this.input.val());
      clearTimeout(this.timer);
      if (!typed || !this.options.source) { this.close(); return; }
      this.timer = setTimeout(function () { self.fetch(typed); }, 150);
    },

    fetch: function (typed) {
      var self = this;
      $.getJSON(this.options.source, { incomplete: typed }).done(function (data) {
        if ($.trim(self.input.val()) !== typed) { return; }
        var taken = self.values();
        self.results = ((data.ResultSet || {}).Result || []).filter(function (r) {
          return taken.indexOf(r.Name) < 0;
        });
        self.render();
      });
    },

    render: function () {
      var self = this;
      var id = this.input.attr('id') + '-listbox';
      this.listbox.empty();
      this.active = this.results.length ? 0 : -1;
      if (!this.results.length) {
        this.listbox.append($('<li class="hhs-picker__none" role="option" aria-disabled="true"></li>').text(this.options.none));
        this.status.text(this.options.none);
      } else {
        $.each(this.results, function (i, r) {
          var option = $('<li role="option"></li>').attr('id', id + '-' + i).attr('data-index', i);
          option.append($('<span class="hhs-picker__label"></span>').text(r.Label));
          if (r.Definition) {
            option.append($('<span class="hhs-picker__definition"></span>').text(r.Definition));
          }
          self.listbox.append(option);
        });
        this.status.text(this.options.found.replace('{n}', this.results.length));
      }
      this.listbox.prop('hidden', false);
      this.input.attr('aria-expanded', 'true');
      this.highlight();
    },

    highlight: function () {
      var options = this.listbox.find('[role=option]');
      options.attr('aria-selected', 'false').removeClass('is-active');
      if (this.active >= 0) {
        var current = options.eq(this.active).attr('aria-selected', 'true').addClass('is-active');
        this.input.attr('aria-activedescendant', current.attr('id'));
        if (current[0] && current[0].scrollIntoView) { current[0].scrollIntoView({ block: 'nearest' }); }
      } else {
        this.input.removeAttr('aria-activedescendant');
      }
    },

    close: function () {
      this.listbox.prop('hidden', true).empty();
      this.input.attr('aria-expanded', 'false').removeAttr('aria-activedescendant');
      this.results = [];
      this.active = -1;
    },

    choose: function (term) {
      if (this.options.single === true || this.options.single === 'true') {
        this.chosen.empty();
      }
      var chip = $('<li class="hhs-chip"></li>').text(term.Label);
      chip.append($('<input type="hidden">').attr('name', this.options.name).val(term.Name));
      chip.append($('<button type="button" class="hhs-picker__remove">&times;</button>')
        .attr('aria-label', 'Remove ' + term.Label));
      this.chosen.append(chip);
      this.input.val('');
      this.close();
      this.status.text(this.options.added.replace('{label}', term.Label));
    },

    _onKeydown: function (e) {
      var open = !this.listbox.prop('hidden');
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        if (open && this.results.length) { this.active = (this.active + 1) % this.results.length; this.highlight(); }
        else { this._onInput(); }
        e.preventDefault();
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        if (open && this.results.length) {
          this.active = (this.active - 1 + this.results.length) % this.results.length;
          this.highlight();
        }
        e.preventDefault();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        if (open && this.active >= 0) { this.choose(this.results[this.active]); }
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (open) { this.close(); e.preventDefault(); }
      }
    },

    _onBlur: function () {
      var self = this;
      setTimeout(function () { self.close(); }, 150);
    },

    _onPick: function (e) {
      e.preventDefault();
      var index = parseInt($(e.currentTarget).attr('data-index'), 10);
      if (!isNaN(index) && this.results[index]) { this.choose(this.results[index]); }
      this.input.focus();
    },

    _onRemove: function (e) {
      var chip = $(e.currentTarget).closest('li');
      var label = chip.clone().children().remove().end().text();
      chip.remove();
      this.status.text(this.options.removed.replace('{label}', label));
      this.input.focus();
    }
  };
});
