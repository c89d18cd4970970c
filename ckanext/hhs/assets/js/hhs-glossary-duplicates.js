/* Likely duplicates while a term is typed: asks hhs_glossary_term_similar with the label and the
 * definition (after a pause in typing) and lists the existing terms that look alike, before saving. */
this.ckan.module('hhs-glossary-duplicates', function ($) {
  return {
    options: { source: '', exclude: '', none: '', found: '' },

    initialize: function () {
      $.proxyAll(this, /_on/);
      this.region = this.el.find('.hhs-duplicates');
      this.timer = null;
      this.last = '';
      this.el.on('input', '#field-label, #field-definition, #field-synonyms', this._onInput);
    },

    _onInput: function () {
      var self = this;
      clearTimeout(this.timer);
      this.timer = setTimeout(function () { self.check(); }, 500);
    },

    check: function () {
      var self = this;
      var params = {
        label: $.trim(this.el.find('#field-label').val() || ''),
        definition: $.trim(this.el.find('#field-definition').val() || '')
      };
      if (this.options.exclude) { params.exclude = this.options.exclude; }
      var key = JSON.stringify(params);
      if (key === this.last || (!params.label && params.definition.length < 20)) { return; }
      this.last = key;
      $.getJSON(this.options.source, params).done(function (data) {
        self.render(data.result || []);
      });
    },

    render: function (similar) {
      this.region.empty();
      if (!similar.length) {
        this.region.append($('<p class="hhs-muted"></p>').text(this.options.none));
        return;
      }
      var box = $('<div class="alert alert-warning"></div>');
      box.append($('<p></p>').text(this.options.found));
      var list = $('<ul></ul>');
      $.each(similar.slice(0, 8), function (i, s) {
        var item = $('<li></li>');
        item.append($('<a target="_blank"></a>').attr('href', '/glossary/' + encodeURIComponent(s.slug)).text(s.label));
        if (s.reason) { item.append(document.createTextNode(' (' + s.reason + ')')); }
        list.append(item);
      });
      box.append(list);
      this.region.append(box);
    }
  };
});

/* The form's outline shows, for each section, whether its required fields are filled in, what is
 * still left, or that the section is optional; it follows what is typed. */
this.ckan.module('hhs-form-outline', function ($) {
  return {
    options: { done: '', todo: '', optional: '' },

    initialize: function () {
      $.proxyAll(this, /_on/);
      this.form = $('form.hhs-term-form');
      this.form.on('input change', this._onChange);
      this._onChange();
    },

    _onChange: function () {
      var self = this;
      this.el.find('.hhs-outline__state').each(function () {
        var section = $('#' + $(this).data('section'));
        var required = section.find('.control-required').closest('.form-group').find('input, textarea, select');
        var filled = section.find('input:not([type=hidden]), textarea, select').filter(function () {
          return $.trim($(this).val() || '') !== '';
        }).length + section.find('.hhs-picker__chosen li').length;
        var left = required.filter(function () { return $.trim($(this).val() || '') === ''; }).length;
        var text = required.length ? (left ? self.options.todo : self.options.done) : (filled ? self.options.done : self.options.optional);
        $(this).text('(' + text + ')').toggleClass('is-done', required.length > 0 && !left);
      });
    }
  };
});
