/* Accessible names for what CKAN's select2 widgets (keywords, choices, pickers) draw without one:
 * the "remove" cross of each chosen item and the link that opens a single choice. Runs again on
 * every change of the page, as select2 redraws. */
(function ($) {
  function setLabel(el, label) {
    if (el.getAttribute('aria-label') !== label) { el.setAttribute('aria-label', label); }
  }
  function name(root) {
    $(root).find('.select2-search-choice-close').each(function () {
      setLabel(this, 'Remove ' + $.trim($(this).closest('.select2-search-choice').text()));
      this.setAttribute('role', 'button');
    });
    $(root).find('.select2-container').each(function () {
      var id = (this.id || '').replace(/^s2id_/, '');
      var label = id ? $.trim($('label[for="' + id + '"]').first().text()).replace(/^\*\s*/, '') : '';
      var chosen = $.trim($(this).find('.select2-chosen').text());
      $(this).find('a.select2-choice').each(function () {
        setLabel(this, (label || 'Choose') + (chosen ? ': ' + chosen : ''));
      });
    });
  }
  name(document.body);
  new MutationObserver(function () { name(document.body); })
    .observe(document.body, { childList: true, subtree: true });
})(window.jQuery);
