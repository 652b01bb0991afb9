/*
 * CKEditor 5 for every rich-text field (richtext.widgets.RichTextEditor).
 *
 * The editor is the official browser build, vendored under static/vendor/ckeditor5/
 * and loaded before this file as the CKEDITOR global. Each <textarea
 * class="rich-text-editor"> carries its configuration as JSON in
 * data-editor-config (from settings.CKEDITOR_5_CONFIGS): the plugins by name, the
 * toolbar, the image upload address, and what General HTML Support may keep (the
 * sanitizer's allowlist, richtext.sanitize). No inline script: the admin's CSP
 * allows scripts from the site only.
 */
(function () {
  'use strict';

  const ck = window.CKEDITOR;

  function csrfToken(textarea) {
    const form = textarea.form || document;
    const input = form.querySelector('input[name=csrfmiddlewaretoken]');
    if (input) {
      return input.value;
    }
    const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
    return cookie ? decodeURIComponent(cookie.split('=')[1]) : '';
  }

  function escapeHtml(text) {
    return text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }

  // Plain text as paragraphs: every line that isn't blank is one, whether the
  // lines are separated by an empty line or by a single line break, as a wire
  // story or a text file has them.
  function plainTextToParagraphs(text) {
    const lines = text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim())
      .filter((line) => line);
    if (lines.length <= 1) {
      // Into the paragraph it lands in, spaces as typed, without the line break
      // a copied line ends with.
      return ck.plainTextToHtml(text.replace(/[\r\n]+$/, ''));
    }
    return lines.map((line) => '<p>' + escapeHtml(line) + '</p>').join('');
  }

  // A paste of plain text (from a text file, a terminal, a wire service's page)
  // keeps its paragraphs; CKEditor's own handling would make one paragraph of
  // lines joined by <br>. Rich pastes (a web page, Word, Google Docs) have HTML
  // and go through CKEditor's pipeline untouched.
  class PlainTextParagraphs extends ck.Plugin {
    static get pluginName() {
      return 'PlainTextParagraphs';
    }

    static get requires() {
      return ['ClipboardPipeline'];
    }

    init() {
      const editor = this.editor;
      editor.plugins.get('ClipboardPipeline').on('inputTransformation', (event, data) => {
        const transfer = data.dataTransfer;
        if (data.method !== 'paste' && data.method !== 'drop') {
          return;
        }
        if (transfer.getData('text/html') || !transfer.getData('text/plain')) {
          return;
        }
        data.content = editor.data.htmlProcessor.toView(
          plainTextToParagraphs(transfer.getData('text/plain'))
        );
      }, { priority: 'high' });
    }
  }

  function htmlSupport(support) {
    // Exactly the elements and attributes the sanitizer keeps: markup stored by an
    // import or an older editor (<dl>, <del>, <h5>, ids) survives being opened and
    // saved, and nothing else gets in.
    const allow = support.elements.map((name) => ({
      name: name,
      attributes: (support.attributes[name] || []).concat(
        support.idElements.includes(name) ? ['id'] : []
      ),
    }));
    return { allow: allow };
  }

  function editorConfig(textarea) {
    const config = JSON.parse(textarea.dataset.editorConfig);
    const plugins = config.plugins.map((name) => {
      if (!ck[name]) {
        throw new Error('CKEditor has no plugin named ' + name);
      }
      return ck[name];
    });
    plugins.push(ck.SimpleUploadAdapter, PlainTextParagraphs);
    const { uploadUrl, plugins: _names, ...options } = config;
    options.plugins = plugins;
    options.licenseKey = 'GPL';
    options.htmlSupport = htmlSupport(config.htmlSupport);
    options.simpleUpload = {
      uploadUrl: uploadUrl,
      // Read at each upload: the token a page was served with may have rotated.
      headers: () => ({ 'X-CSRFToken': csrfToken(textarea) }),
    };
    if (options.typing && options.typing.transformations) {
      // An apostrophe inside or at the end of a word ("we're", "the mayors' office")
      // is a closing single quote, which CKEditor's quote rules only give in pairs.
      options.typing.transformations.extra = [
        { from: /([\p{L}\p{N}])(')([\p{L}\p{N}])$/u, to: [null, '’', null] },
        { from: /([\p{L}\p{N}])(')(\s)$/u, to: [null, '’', null] },
      ];
    }
    if (options.heading) {
      options.heading.options.forEach((option) => {
        option.class = option.class || 'ck-heading_' + option.model;
      });
    }
    return options;
  }

  function start(textarea) {
    if (textarea.dataset.editorStarted || textarea.id.includes('__prefix__')) {
      return;
    }
    textarea.dataset.editorStarted = '1';
    ck.ClassicEditor.create(textarea, editorConfig(textarea))
      .then((editor) => {
        // Keep the textarea current as the editor types, so that whatever watches
        // the form (the unsaved-changes warning) sees each change.
        editor.model.document.on('change:data', () => {
          editor.updateSourceElement();
          textarea.dispatchEvent(new Event('input', { bubbles: true }));
        });
        if (textarea.disabled) {
          editor.enableReadOnlyMode('rich-text-editor');
        }
        textarea.richTextEditor = editor;
      })
      .catch((error) => {
        // The textarea stays usable (as HTML, sanitized on save) if the editor
        // can't start.
        delete textarea.dataset.editorStarted;
        console.error(error);
      });
  }

  function startAll(root) {
    root.querySelectorAll('textarea.rich-text-editor').forEach(start);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => startAll(document));
  } else {
    startAll(document);
  }
  // A new row of an admin inline ("Add another live update").
  document.addEventListener('formset:added', (event) => startAll(event.target));

  window.newsroomEditor = { plainTextToParagraphs: plainTextToParagraphs };
})();
