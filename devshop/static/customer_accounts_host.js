// The devshop's stand-in for Shopify's extension sandbox (see devshop/customer_accounts.py): the `shopify` global
// the extension's bundle uses, and minimal `s-*` elements rendered with native, accessible HTML.
(() => {
  const config = JSON.parse(document.getElementById('host-config').textContent);
  const post = (message) => window.parent.postMessage({...message, frame: config.frameId}, '*');

  // -- the `s-*` elements ------------------------------------------------------------------------------------------

  const BASE_CSS = `
    :host { display: block; font: inherit; color: inherit; }
    :host([hidden]) { display: none; }
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

    render() {
      this.shadowRoot.innerHTML = `<style>${BASE_CSS}${this.constructor.styles}</style>${this.template()}`;
      this.rendered();
    }

    template() {
      return '<slot></slot>';
    }

    rendered() {}
  }

  function define(tag, cls) {
    for (const name of cls.props) {
      Object.defineProperty(cls.prototype, name, {
        get() {
          return this._props[name];
        },
        set(value) {
          this._props[name] = value;
          if (this.isConnected) this.render();
        },
      });
    }
    customElements.define(tag, cls);
  }

  const escape = (text) =>
    String(text ?? '').replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);

  define(
    's-paragraph',
    class extends ShopifyElement {
      static styles = 'p { margin: 0 0 .75em; line-height: 1.5; }';
      template() {
        return '<p><slot></slot></p>';
      }
    },
  );

  define(
    's-text',
    class extends ShopifyElement {
      static styles = ':host { display: inline; }';
    },
  );

  define(
    's-stack',
    class extends ShopifyElement {
      static props = ['direction', 'gap', 'accessibilityRole'];
      static styles = '.stack { display: flex; flex-direction: column; gap: .75rem; }';
      template() {
        const role = this.prop('accessibilityRole');
        const aria = role === 'status' ? ' role="status" aria-live="polite"' : role === 'alert' ? ' role="alert"' : '';
        return `<div class="stack"${aria}><slot></slot></div>`;
      }
    },
  );

  define(
    's-section',
    class extends ShopifyElement {
      static props = ['heading'];
      static styles = 'section { border: 1px solid #d4d4d8; border-radius: 8px; padding: 1rem; background: #fff; } h2 { font-size: 1.05rem; margin: 0 0 .75rem; }';
      template() {
        const heading = this.prop('heading');
        return `<section>${heading ? `<h2>${escape(heading)}</h2>` : ''}<slot></slot></section>`;
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

  define(
    's-button',
    class extends ShopifyElement {
      static props = ['variant', 'tone', 'loading', 'disabled'];
      static styles = `
        :host { display: inline-block; }
        button { font: inherit; padding: .55rem 1rem; border-radius: 8px; border: 1px solid #1f2937; background: #fff;
                 color: #111827; cursor: pointer; }
        button.primary { background: #1f2937; color: #fff; }
        button.primary.critical { background: #b42318; border-color: #b42318; }
        button:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
        button[aria-busy="true"] { opacity: .7; }`;
      template() {
        const classes = [this.prop('variant'), this.prop('tone')].filter(Boolean).join(' ');
        const busy = this.prop('loading') ? ' aria-busy="true" aria-disabled="true"' : '';
        return `<button type="button" class="${escape(classes)}"${busy}><slot></slot></button>`;
      }
      rendered() {
        // A click on the inner button is a click on the element (composed), which the extension listens to; a
        // busy button swallows it.
        this.shadowRoot.querySelector('button').addEventListener('click', (event) => {
          if (this.prop('loading')) event.stopPropagation();
        });
      }
    },
  );

  let fieldCount = 0;

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
      static styles = `
        label { display: block; font-weight: 600; margin-bottom: .35rem; }
        textarea { width: 100%; box-sizing: border-box; min-height: 5rem; font: inherit; padding: .5rem; border-radius: 6px;
                   border: 1px solid #6b7280; }
        textarea:focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
        .details { color: #4b5563; font-size: .9rem; margin-top: .25rem; }`;
      get value() {
        return this.shadowRoot.querySelector('textarea')?.value ?? this._value ?? '';
      }
      set value(text) {
        this._value = text;
        const area = this.shadowRoot.querySelector('textarea');
        if (area && area.value !== text) area.value = text;
      }
      template() {
        const max = this.prop('maxLength');
        const details = this.prop('details');
        return `<label for="area">${escape(this.prop('label'))}</label><textarea id="area"${
          max ? ` maxlength="${escape(max)}"` : ''
        }${details ? ' aria-describedby="details"' : ''}></textarea>${
          details ? `<div class="details" id="details">${escape(details)}</div>` : ''
        }`;
      }
      rendered() {
        this.shadowRoot.querySelector('textarea').value = this._value ?? '';
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
    close() {
      post({type: 'close'});
    },
  };

  // The bundle calls the app's public URL; in the devshop that is the local app (cross-origin, as in Shopify).
  const sandboxFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (url, options) => sandboxFetch(String(url).replace(config.publicAppUrl, config.appUrl), options);

  // Shopify opens the extension's modal from the menu item's button.
  if (config.target === 'customer-account.order.action.menu-item.render') {
    document.addEventListener('click', (event) => {
      if (event.target.closest('s-button')) post({type: 'open-action', order: config.orderGid});
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
