// The devshop's stand-in for Shopify's extension sandbox (see devshop/customer_accounts.py): the `shopify` global
// the extensions' bundles use, and minimal `s-*` elements rendered with native, accessible HTML (labels tied to
// their fields, buttons as buttons, links as links), following the 2026-07 elements' props where the extensions use
// them. Shopify's links (`shopify:customer-account/...`, `extension:<handle>/<target>/<order>/`) lead to the
// devshop's own customer-account pages.
(() => {
  const config = JSON.parse(document.getElementById('host-config').textContent);
  const post = (message) => window.parent.postMessage({...message, frame: config.frameId}, '*');

  // -- links -------------------------------------------------------------------------------------------------------

  const withLocale = (path) => `${path}?locale=${encodeURIComponent(config.locale)}`;
  const orderNumber = (id) => String(id || '').split('/').pop();

  // Where a link of the extension leads in the devshop: Shopify's protocols mapped to its pages, others as they are.
  function resolveHref(href) {
    const url = String(href ?? '');
    let found = /^extension:([^/]+)\/customer-account\.order\.page\.render\/([^/?#]+)/.exec(url);
    if (found) {
      const page = config.fullPageUrl.replace('{order}', orderNumber(decodeURIComponent(found[2])));
      return withLocale(page.replace('{handle}', encodeURIComponent(found[1])));
    }
    found = /^shopify:customer-account\/orders\/([^/?#]+)/.exec(url);
    if (found) return withLocale(config.orderPageUrl.replace('{order}', orderNumber(decodeURIComponent(found[1]))));
    if (/^(shopify:customer-account|extension:)/.test(url)) return withLocale(config.ordersUrl);
    return url;
  }

  // Links open in the customer-account page around this frame, as Shopify's navigation does; `_blank` in a new tab.
  const linkTarget = (target) => (target === '_blank' ? '_blank' : '_top');

  // -- the `s-*` elements ------------------------------------------------------------------------------------------

  const BASE_CSS = `
    :host { display: block; font: inherit; color: inherit; }
    :host([hidden]) { display: none; }
    :focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
  `;

  class ShopifyElement extends HTMLElement {
    static props = [];
    static styles = '';

    constructor() {
      super();
      this._props = {};
      this.attachShadow({mode: 'open'});
    }

    connectedCallback() {
      this.render();
    }

    prop(name, fallback = '') {
      const value = this._props[name];
      return value === undefined || value === null ? this.getAttribute(name.toLowerCase()) ?? fallback : value;
    }

    // A boolean prop: the property when set, else whether the attribute is there.
    flag(name) {
      const value = this._props[name];
      return value === undefined || value === null ? this.hasAttribute(name.toLowerCase()) : Boolean(value);
    }

    render() {
      this.shadowRoot.innerHTML = `<style>${BASE_CSS}${this.constructor.styles}</style>${this.template()}`;
      this.rendered();
    }

    // A prop changed after the element was shown: drawn again (elements holding the focus patch themselves).
    update() {
      this.render();
    }

    template() {
      return '<slot></slot>';
    }

    rendered() {}
  }

  function define(tag, cls) {
    for (const name of cls.props) {
      // A class's own accessor (a field's live value) wins.
      if (Object.getOwnPropertyDescriptor(cls.prototype, name)) continue;
      Object.defineProperty(cls.prototype, name, {
        get() {
          return this._props[name];
        },
        set(value) {
          if (this._props[name] === value) return;
          this._props[name] = value;
          if (this.isConnected) this.update(name);
        },
      });
    }
    customElements.define(tag, cls);
  }

  const escape = (text) =>
    String(text ?? '').replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
  const attribute = (name, value) => (value === undefined || value === null || value === '' ? '' : ` ${name}="${escape(value)}"`);
  const present = (name, on) => (on ? ` ${name}` : '');

  // A heading's level from where it sits: the page's heading is h1, a section's h2, one inside a section h3, ...
  function sectionDepth(element) {
    let depth = 0;
    for (let parent = element.parentElement?.closest('s-section'); parent; parent = parent.parentElement?.closest('s-section')) {
      depth += 1;
    }
    return depth;
  }

  define(
    's-paragraph',
    class extends ShopifyElement {
      static styles = 'p { margin: 0; line-height: 1.5; }';
      template() {
        return '<p><slot></slot></p>';
      }
    },
  );

  define(
    's-text',
    class extends ShopifyElement {
      static props = ['color', 'type', 'tone'];
      static styles = ':host { display: inline; } .subdued { color: #52525b; } strong { font-weight: 600; }';
      template() {
        const subdued = this.prop('color') === 'subdued' ? ' class="subdued"' : '';
        const tag = this.prop('type') === 'strong' ? 'strong' : 'span';
        return `<${tag}${subdued}><slot></slot></${tag}>`;
      }
    },
  );

  define(
    's-heading',
    class extends ShopifyElement {
      static styles = 'h2, h3, h4, h5, h6 { font-size: 1rem; font-weight: 600; margin: 0; line-height: 1.35; }';
      template() {
        const level = Math.min(6, 2 + sectionDepth(this));
        return `<h${level}><slot></slot></h${level}>`;
      }
    },
  );

  const GAPS = {none: '0', 'small-500': '.125rem', 'small-400': '.125rem', 'small-300': '.25rem', 'small-200': '.35rem',
    'small-100': '.5rem', small: '.5rem', base: '.75rem', 'large-100': '1rem', large: '1.25rem', 'large-200': '1.5rem'};
  define(
    's-stack',
    class extends ShopifyElement {
      static props = ['direction', 'gap', 'accessibilityRole'];
      static styles = `
        .stack { display: flex; flex-direction: column; gap: var(--gap, .75rem); }
        .stack.inline { flex-direction: row; flex-wrap: wrap; align-items: center; }`;
      template() {
        const role = this.prop('accessibilityRole');
        const aria = role === 'status' ? ' role="status" aria-live="polite"' : role === 'alert' ? ' role="alert"' : '';
        const inline = this.prop('direction') === 'inline' ? ' inline' : '';
        const gap = GAPS[this.prop('gap', 'base')] ?? GAPS.base;
        return `<div class="stack${inline}" style="--gap:${gap}"${aria}><slot></slot></div>`;
      }
    },
  );

  define(
    's-section',
    class extends ShopifyElement {
      static props = ['heading', 'accessibilityLabel'];
      static styles = `
        section { border: 1px solid #d4d4d8; border-radius: 8px; padding: 1rem; background: #fff; }
        .heading { font-size: 1.05rem; margin: 0 0 .75rem; }`;
      template() {
        const heading = this.prop('heading');
        const level = Math.min(6, 2 + sectionDepth(this));
        const label = this.prop('accessibilityLabel');
        // Named by its heading (a region, as the app's own page's sections are).
        const name = heading ? ' aria-labelledby="heading"' : attribute('aria-label', label);
        return `<section${name}>${
          heading ? `<h${level} class="heading" id="heading">${escape(heading)}</h${level}>` : ''
        }<slot></slot></section>`;
      }
    },
  );

  define(
    's-page',
    class extends ShopifyElement {
      static props = ['heading', 'subheading', 'inlineSize'];
      static styles = `
        .page { display: flex; flex-direction: column; gap: 1.25rem; }
        .head { display: flex; flex-wrap: wrap; align-items: flex-start; gap: .75rem 1rem; }
        .titles { flex: 1 1 16rem; min-width: 0; }
        h1 { font-size: 1.6rem; line-height: 1.25; margin: 0; overflow-wrap: anywhere; }
        .subheading { margin: .35rem 0 0; color: #52525b; }
        .subheading:empty { display: none; }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; }`;
      template() {
        return `<div class="page">
          <div class="head">
            <slot name="breadcrumb-actions"></slot>
            <div class="titles"><h1>${escape(this.prop('heading'))}</h1><p class="subheading">${escape(this.prop('subheading'))}</p></div>
            <div class="actions"><slot name="secondary-actions"></slot><slot name="primary-action"></slot></div>
          </div>
          <div class="content"><slot></slot></div>
        </div>`;
      }
      // The heading and the until-when line change in place (what the page holds keeps its focus).
      update(name) {
        if (name === 'heading') this.shadowRoot.querySelector('h1').textContent = this.prop('heading');
        else if (name === 'subheading') this.shadowRoot.querySelector('.subheading').textContent = this.prop('subheading');
        else this.render();
      }
    },
  );

  const TONES = {success: '#e7f5ec', warning: '#fff5db', critical: '#fde8e8', info: '#eef4ff'};
  define(
    's-banner',
    class extends ShopifyElement {
      static props = ['heading', 'tone'];
      static styles = '.banner { border-radius: 8px; padding: .75rem 1rem; border: 1px solid #c7c7cc; } strong { display: block; margin-bottom: .25rem; }';
      template() {
        const heading = this.prop('heading');
        const tone = this.prop('tone', 'info');
        const role = tone === 'critical' ? ' role="alert"' : '';
        return `<div class="banner" data-tone="${escape(tone)}" style="background:${TONES[tone] || TONES.info}"${role}>${
          heading ? `<strong>${escape(heading)}</strong>` : ''
        }<slot></slot></div>`;
      }
    },
  );

  define(
    's-spinner',
    class extends ShopifyElement {
      static props = ['accessibilityLabel'];
      template() {
        return `<span role="progressbar" aria-label="${escape(this.prop('accessibilityLabel', 'Loading'))}">…</span>`;
      }
    },
  );

  const BUTTON_CSS = `
    :host { display: inline-block; }
    .button { display: inline-flex; align-items: center; gap: .35rem; box-sizing: border-box; font: inherit;
              padding: .55rem 1rem; border-radius: 8px; border: 1px solid #1f2937; background: #fff; color: #111827;
              cursor: pointer; text-decoration: none; line-height: 1.3; }
    .button.primary { background: #1f2937; color: #fff; }
    .button.primary.critical { background: #b42318; border-color: #b42318; }
    .button.secondary { background: #fff; }
    .button.breadcrumb { padding: .35rem .6rem; font-size: 1.2rem; line-height: 1; }
    .button[aria-busy="true"], .button:disabled { opacity: .6; cursor: default; }`;

  define(
    's-button',
    class extends ShopifyElement {
      static props = ['variant', 'tone', 'loading', 'disabled', 'href', 'target', 'accessibilityLabel', 'type'];
      static styles = BUTTON_CSS;
      classes() {
        const breadcrumb = this.getAttribute('slot') === 'breadcrumb-actions' ? 'breadcrumb' : '';
        return ['button', this.prop('variant'), this.prop('tone'), breadcrumb].filter(Boolean).join(' ');
      }
      template() {
        const label = attribute('aria-label', this.prop('accessibilityLabel'));
        // The page's way back shows as an arrow (its words are its accessible name).
        const arrow = this.getAttribute('slot') === 'breadcrumb-actions' ? '<span aria-hidden="true">←</span>' : '';
        const href = this.prop('href');
        if (href && !this.flag('disabled')) {
          return `<a class="${this.classes()}" href="${escape(resolveHref(href))}" target="${linkTarget(this.prop('target'))}"${label}>${arrow}<slot></slot></a>`;
        }
        return `<button type="button" class="${this.classes()}"${label}>${arrow}<slot></slot></button>`;
      }
      rendered() {
        this._control = this.shadowRoot.querySelector('.button');
        this.patch();
        // A click on the inner button is a click on the element (composed), which the extension listens to; a
        // busy button swallows it.
        this._control.addEventListener('click', (event) => {
          if (this.flag('loading')) event.stopPropagation();
        });
      }
      // Busy, disabled and the looks change on the button itself, so a button with the focus keeps it.
      patch() {
        const control = this._control;
        if (control.tagName !== 'BUTTON') return;
        control.className = this.classes();
        control.disabled = this.flag('disabled');
        for (const name of ['aria-busy', 'aria-disabled']) {
          if (this.flag('loading')) control.setAttribute(name, 'true');
          else control.removeAttribute(name);
        }
      }
      update(name) {
        const patched = ['loading', 'disabled', 'variant', 'tone'].includes(name);
        if (patched && this._control?.tagName === 'BUTTON' && !this.prop('href')) this.patch();
        else this.render();
      }
    },
  );

  define(
    's-link',
    class extends ShopifyElement {
      static props = ['href', 'target', 'accessibilityLabel', 'tone'];
      static styles = `
        :host { display: inline; }
        a, button { color: #1d4ed8; text-decoration: underline; font: inherit; }
        button { background: none; border: 0; padding: 0; cursor: pointer; }`;
      template() {
        const label = attribute('aria-label', this.prop('accessibilityLabel'));
        const href = this.prop('href');
        if (!href) return `<button type="button"${label}><slot></slot></button>`;
        return `<a href="${escape(resolveHref(href))}" target="${linkTarget(this.prop('target'))}"${label}><slot></slot></a>`;
      }
    },
  );

  define(
    's-unordered-list',
    class extends ShopifyElement {
      static styles = ':host { padding-left: 1.25rem; margin: 0; }';
      connectedCallback() {
        this.setAttribute('role', 'list');
        super.connectedCallback();
      }
    },
  );

  define(
    's-list-item',
    class extends ShopifyElement {
      static styles = ':host { display: list-item; list-style: disc; margin: .15rem 0; }';
      connectedCallback() {
        this.setAttribute('role', 'listitem');
        super.connectedCallback();
      }
    },
  );

  let fieldCount = 0;

  const FIELD_CSS = `
    label { display: block; font-weight: 600; margin-bottom: .35rem; }
    input, select, textarea { box-sizing: border-box; width: 100%; font: inherit; color: #111827; padding: .5rem .6rem;
                              border-radius: 6px; border: 1px solid #6b7280; background: #fff; }
    input:read-only { background: #f4f4f5; color: #3f3f46; }
    input:disabled, select:disabled { background: #f4f4f5; color: #52525b; }
    :focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
    .details { color: #4b5563; font-size: .9rem; margin-top: .25rem; }
    .error { color: #b42318; font-size: .9rem; margin-top: .25rem; }`;

  // The text under a field: its hint and its error, tied to it with aria-describedby.
  function fieldNotes(element) {
    const details = element.prop('details');
    const error = element.prop('error');
    const ids = [details ? 'details' : '', error ? 'error' : ''].filter(Boolean).join(' ');
    const html = `${details ? `<div class="details" id="details">${escape(details)}</div>` : ''}${
      error ? `<div class="error" id="error">${escape(error)}</div>` : ''
    }`;
    return {described: ids ? ` aria-describedby="${ids}"${error ? ' aria-invalid="true"' : ''}` : '', html};
  }

  define(
    's-choice-list',
    class extends ShopifyElement {
      static props = ['label', 'name', 'values'];
      static styles = 'fieldset { border: 0; margin: 0; padding: 0; } legend { font-weight: 600; margin-bottom: .5rem; padding: 0; }';
      template() {
        return `<fieldset><legend>${escape(this.prop('label'))}</legend><slot></slot></fieldset>`;
      }
      rendered() {
        for (const choice of this.querySelectorAll('s-choice')) choice.render();
      }
      choose(value) {
        this._props.values = [value];
        for (const choice of this.querySelectorAll('s-choice')) choice.render();
        this.dispatchEvent(new Event('change'));
      }
    },
  );

  define(
    's-choice',
    class extends ShopifyElement {
      static props = ['value'];
      static styles = 'label { display: flex; gap: .5rem; align-items: center; padding: .25rem 0; cursor: pointer; } input { width: 1.1rem; height: 1.1rem; }';
      template() {
        this._id = this._id || `choice-${++fieldCount}`;
        const list = this.closest('s-choice-list');
        const checked = list && (list.values || []).includes(this.prop('value')) ? ' checked' : '';
        return `<label><input type="radio" id="${this._id}"${checked}><span><slot></slot></span></label>`;
      }
      rendered() {
        this.shadowRoot.querySelector('input').addEventListener('change', () => {
          this.closest('s-choice-list')?.choose(this.prop('value'));
        });
      }
    },
  );

  define(
    's-text-area',
    class extends ShopifyElement {
      static props = ['label', 'details', 'maxLength'];
      static styles = `${FIELD_CSS} textarea { min-height: 5rem; }`;
      get value() {
        return this.shadowRoot.querySelector('textarea')?.value ?? this._value ?? '';
      }
      set value(text) {
        this._value = text;
        const area = this.shadowRoot.querySelector('textarea');
        if (area && area.value !== text) area.value = text;
      }
      template() {
        const notes = fieldNotes(this);
        return `<label for="area">${escape(this.prop('label'))}</label><textarea id="area"${attribute(
          'maxlength',
          this.prop('maxLength'),
        )}${notes.described}></textarea>${notes.html}`;
      }
      rendered() {
        this.shadowRoot.querySelector('textarea').value = this._value ?? '';
      }
    },
  );

  // s-text-field and s-phone-field: a labelled <input>. Typing fires `input` on the element (the native event
  // crosses the shadow root); `change` is sent again from the element, as it does not.
  class TextField extends ShopifyElement {
    static props = ['label', 'name', 'autocomplete', 'maxLength', 'minLength', 'required', 'readOnly', 'disabled',
      'error', 'details', 'placeholder', 'defaultValue'];
    static styles = FIELD_CSS;
    static inputType = 'text';

    get value() {
      return this._input ? this._input.value : this._value ?? this.prop('defaultValue') ?? '';
    }

    set value(text) {
      this._value = text == null ? '' : String(text);
      if (this._input && this._input.value !== this._value) this._input.value = this._value;
    }

    template() {
      const notes = fieldNotes(this);
      return `<label for="control">${escape(this.prop('label'))}</label><input id="control" type="${this.constructor.inputType}"${
        attribute('name', this.prop('name'))
      }${attribute('autocomplete', this.prop('autocomplete'))}${attribute('maxlength', this.prop('maxLength'))}${attribute(
        'minlength',
        this.prop('minLength'),
      )}${attribute('placeholder', this.prop('placeholder'))}${present('required', this.flag('required'))}${present(
        'readonly',
        this.flag('readOnly'),
      )}${present('disabled', this.flag('disabled'))}${notes.described}>${notes.html}`;
    }

    rendered() {
      const value = this.value; // what the field held before it was drawn again
      this._input = this.shadowRoot.querySelector('input');
      this._input.value = value;
      this._input.addEventListener('change', () => this.dispatchEvent(new Event('change')));
    }

    update(name) {
      const input = this._input;
      if (name === 'readOnly') input.readOnly = this.flag('readOnly');
      else if (name === 'disabled') input.disabled = this.flag('disabled');
      else if (name === 'required') input.required = this.flag('required');
      else this.render();
    }
  }

  define('s-text-field', class extends TextField {});
  define(
    's-phone-field',
    class extends TextField {
      static inputType = 'tel';
    },
  );

  // s-select: a labelled native <select> built from its s-option children (kept in step with them).
  define(
    's-select',
    class extends ShopifyElement {
      static props = ['label', 'name', 'disabled', 'required', 'error', 'details', 'placeholder'];
      static styles = `${FIELD_CSS} select { max-width: 28rem; }`;

      get value() {
        return this._select ? this._select.value : this._value ?? '';
      }

      set value(value) {
        this._value = value == null ? '' : String(value);
        if (this._select && this._select.value !== this._value) this._select.value = this._value;
      }

      template() {
        const notes = fieldNotes(this);
        return `<label for="control">${escape(this.prop('label'))}</label><select id="control"${attribute(
          'name',
          this.prop('name'),
        )}${present('required', this.flag('required'))}${present('disabled', this.flag('disabled'))}${
          notes.described
        }></select>${notes.html}`;
      }

      rendered() {
        this._select = this.shadowRoot.querySelector('select');
        this.fill();
        this._select.addEventListener('change', () => {
          this._value = this._select.value;
          this.dispatchEvent(new Event('change'));
        });
        if (!this._observer) {
          this._observer = new MutationObserver(() => this.fill());
          this._observer.observe(this, {childList: true, subtree: true, characterData: true, attributes: true});
        }
      }

      // The native options from the s-option children: value, words, disabled.
      fill() {
        const select = this._select;
        if (!select) return;
        const wanted = [...this.querySelectorAll('s-option')].map((option) => ({
          value: String(option.prop('value') ?? ''),
          text: option.textContent.trim(),
          label: option.prop('accessibilityLabel'),
          disabled: option.flag('disabled'),
        }));
        const same =
          select.options.length === wanted.length &&
          wanted.every((item, index) => {
            const option = select.options[index];
            return option.value === item.value && option.text === item.text && option.disabled === item.disabled;
          });
        if (!same) {
          select.replaceChildren(
            ...wanted.map((item) => {
              const option = document.createElement('option');
              option.value = item.value;
              option.textContent = item.text;
              option.disabled = item.disabled;
              if (item.label) option.setAttribute('aria-label', item.label);
              return option;
            }),
          );
        }
        if (this._value !== undefined && select.value !== this._value) select.value = this._value;
      }

      update(name) {
        if (name === 'disabled') this._select.disabled = this.flag('disabled');
        else if (name === 'required') this._select.required = this.flag('required');
        else this.render();
      }
    },
  );

  define(
    's-option',
    class extends ShopifyElement {
      static props = ['value', 'disabled', 'selected', 'defaultSelected', 'accessibilityLabel'];
      static styles = ':host { display: none; }';
      // Its select shows it: a change reaches the select's native option.
      update() {
        this.closest('s-select')?.fill();
      }
    },
  );

  define(
    's-customer-account-action',
    class extends ShopifyElement {
      static props = ['heading'];
      static styles = `
        h1 { font-size: 1.25rem; margin: 0 0 1rem; }
        .actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.25rem; }`;
      template() {
        return `<h1>${escape(this.prop('heading'))}</h1><slot></slot>
          <div class="actions"><slot name="primary-action"></slot><slot name="secondary-actions"></slot></div>`;
      }
    },
  );

  // -- the `shopify` global ----------------------------------------------------------------------------------------

  // A subscribable value (Shopify's SubscribableSignalLike): the value, and subscribe(fn) → unsubscribe. Nothing here
  // changes after the start.
  const signal = (value) => ({value, subscribe: () => () => {}});
  const extensions = {};

  function translate(key, replacements = {}) {
    const text = config.strings[key] ?? key;
    return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => String(replacements[name] ?? ''));
  }

  globalThis.shopify = {
    extend(target, run) {
      extensions[target] = run;
    },
    extension: {target: config.target},
    orderId: config.orderGid,
    order: signal({id: config.orderGid, name: config.orderName}),
    localization: {language: signal({isoCode: config.locale})},
    i18n: {translate},
    sessionToken: {
      async get() {
        const answer = await fetch('/customer-accounts/session-token', {method: 'POST', credentials: 'same-origin'});
        return (await answer.json()).token;
      },
    },
    navigation: {
      navigate(url) {
        window.top.location.assign(resolveHref(url));
      },
    },
    close() {
      post({type: 'close'});
    },
  };

  // The bundle calls the app's public URL; in the devshop that is the local app (cross-origin, as in Shopify).
  const sandboxFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (url, options) => sandboxFetch(String(url).replace(config.publicAppUrl, config.appUrl), options);

  // Shopify opens the extension's modal from the menu item's button, unless the button leads somewhere (its href:
  // "Change order" goes to the edit page).
  if (config.target === 'customer-account.order.action.menu-item.render') {
    document.addEventListener('click', (event) => {
      const button = event.target.closest('s-button');
      if (button && !button.href) post({type: 'open-action', order: config.orderGid});
    });
  }

  // Escape closes Shopify's modal wherever the focus is, inside the extension too.
  if (config.target === 'customer-account.order.action.render') {
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') post({type: 'close'});
    });
  }

  window.runExtension = () => {
    new ResizeObserver(() => post({type: 'resize', height: Math.ceil(document.body.getBoundingClientRect().height) + 4})).observe(
      document.body,
    );
    const run = extensions[config.target];
    if (run) run(globalThis.shopify);
  };
})();
