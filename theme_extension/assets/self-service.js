// The blocks' plain links, enhanced with the app's JSON answer for the same URL (theme_extension/README.md).
(() => {
  const POLL_STATUSES = ['pending_review', 'queued', 'processing'];
  const MINUTE = 60000;
  const MAX_DELAY = 60 * MINUTE;
  const FIRST_BACKOFF = 5000;

  // Only real changes reach the page: live regions do not repeat themselves.
  const setText = (el, text) => {
    if (el.textContent !== text) el.textContent = text;
  };

  class SelfServiceElement extends HTMLElement {
    connectedCallback() {
      this.locale = this.dataset.locale || document.documentElement.lang || 'en';
      this.countdown = this.dataset.countdown !== 'false';
      this.statusEl = this.querySelector('[data-status]');
      this.link = this.querySelector('[data-link]');
      const template = this.querySelector('template[data-self-service-strings]');
      if (!template || !this.statusEl || !this.link) return;
      const keys = [...template.content.querySelectorAll('[data-key]')];
      this.strings = Object.fromEntries(keys.map((el) => [el.dataset.key, el.textContent.trim()]));
      this.backoff = FIRST_BACKOFF;
      this.load();
    }

    disconnectedCallback() {
      clearTimeout(this.redrawTimer);
      clearTimeout(this.fetchTimer);
      this.controller?.abort();
    }

    t(key, values = {}) {
      const text = this.strings[key] || '';
      return text.replace(/\[(\w+)\]/g, (match, name) => (name in values ? values[name] : match));
    }

    async load() {
      clearTimeout(this.fetchTimer);
      this.controller = new AbortController();
      try {
        const response = await fetch(this.link.href, {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
          cache: 'no-store',
          signal: this.controller.signal,
        });
        if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
        this.received(await response.json());
        this.refetch(this.show());
      } catch (error) {
        if (error.name === 'AbortError') return;
        clearTimeout(this.redrawTimer);
        const keys = { 401: 'login_required', 404: 'not_found', 429: 'too_many_requests', 503: 'unavailable' };
        setText(this.statusEl, this.t(`error.${keys[error.status] || 'generic'}`));
        if (error.status !== 401 && error.status !== 404) this.refetch([{ fetch: -1 }]);
      }
    }

    // `text` with the order's total ("39.90 EUR") in the shopper's format ("€ 39,90").
    money(order, text) {
      const total = order.total_money;
      try {
        const local = new Intl.NumberFormat(this.locale, { style: 'currency', currency: total.currency_code });
        return text && text.split(order.total).join(local.format(Number(total.amount)));
      } catch {
        return text;
      }
    }

    date(iso, timeStyle) {
      return new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle }).format(new Date(iso));
    }

    // One order → what to show, when to redraw and when to fetch again (ms; -1: with back-off).
    describe(order) {
      const view = this.cancelling(order);
      const { edit, editable, edit_deadline: until } = order;
      const left = Date.parse(until) - Date.now();
      if (POLL_STATUSES.includes(edit?.status)) Object.assign(view, { edit: this.t(`edit.${edit.status}`), fetch: -1 });
      else if (editable) view.edit = this.t(until ? 'edit.until' : 'edit.until_shipping', { date: until && this.date(until, 'short') });
      if (editable && left > 0 && view.fetch >= 0) view.fetch = Math.min(view.fetch || MAX_DELAY, left + 1000);
      return view;
    }

    cancelling(order) {
      const view = { message: '', timeLeft: '', edit: '', label: this.t('details'), fetch: 0 };
      const request = order.request;
      if (request) {
        const status = this.t(`status.${request.status}`);
        // Once cancelled, the app's words for what happens to the money.
        const refund = request.status === 'cancelled' && this.money(order, order.refund?.message);
        view.message = [status, request.message !== status && request.message, refund].filter(Boolean).join(' ');
        if (POLL_STATUSES.includes(request.status)) view.fetch = -1;
        return view;
      }
      if (!order.eligible) {
        const reason = order.ineligible_reasons[0] || {};
        view.message = this.t(`reason.${reason.code}`) || reason.message || this.t('error.generic');
        return view;
      }
      Object.assign(view, { message: this.t('eligible'), label: this.t('cancel') });
      if (!order.cancel_deadline) return view;
      const left = Date.parse(order.cancel_deadline) - Date.now();
      if (left <= 0) return Object.assign(view, { fetch: -1 });
      view.fetch = Math.min(left + 1000, MAX_DELAY);
      if (!this.countdown) return view;
      view.timeLeft = this.t('time_left', { time: this.duration(left) });
      view.redraw = left % MINUTE || MINUTE; // the next time the rounded-up minutes change
      return view;
    }

    duration(ms) {
      const total = Math.ceil(ms / MINUTE);
      const days = Math.floor(total / 1440);
      const hours = Math.floor((total % 1440) / 60);
      const parts = days ? [[days, 'day'], [hours, 'hour']] : [[hours, 'hour'], [total % 60, 'minute']];
      const units = parts
        .filter(([value]) => value > 0)
        .map(([value, unit]) => new Intl.NumberFormat(this.locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value));
      return new Intl.ListFormat(this.locale, { style: 'long', type: 'unit' }).format(units);
    }

    show() {
      clearTimeout(this.redrawTimer);
      const views = this.render();
      const delay = Math.min(...views.map((view) => view.redraw || Infinity));
      if (delay < Infinity) this.redrawTimer = setTimeout(() => this.show(), delay);
      return views;
    }

    refetch(views) {
      clearTimeout(this.fetchTimer);
      const delays = views.map((view) => view.fetch).filter((delay) => delay > 0);
      if (views.some((view) => view.fetch < 0)) {
        delays.push(this.backoff);
        this.backoff = Math.min(this.backoff * 2, 5 * MINUTE);
      } else {
        this.backoff = FIRST_BACKOFF;
      }
      if (delays.length) this.fetchTimer = setTimeout(() => this.load(), Math.min(...delays));
    }
  }

  class SelfServiceOrder extends SelfServiceElement {
    received(order) {
      this.order = order;
    }

    render() {
      const view = this.describe(this.order);
      setText(this.statusEl, view.message);
      setText(this.querySelector('[data-timer]'), view.timeLeft);
      setText(this.link, view.label);
      setText(this.querySelector('[data-edit]'), view.edit);
      this.querySelector('[data-edit-link]').hidden = !this.order.editable;
      const request = this.order.request;
      const state = (this.dataset.state = request ? request.status : this.order.eligible ? 'eligible' : 'ineligible');
      // The merchant's heading is for a cancellable order; other states have their own.
      const h = this.querySelector('.ssb__heading');
      h.dataset.own ??= h.textContent;
      const shown = this.order.ineligible_reasons?.[0]?.code === 'already_cancelled' ? 'cancelled' : state;
      setText(h, this.t(`heading.${shown}`) || h.dataset.own);
      return [view];
    }
  }

  class SelfServiceOrders extends SelfServiceElement {
    connectedCallback() {
      this.list = this.querySelector('[data-orders]');
      this.items = new Map();
      super.connectedCallback();
      if (this.strings && !this.orders) setText(this.statusEl, this.t('orders.loading'));
    }

    received(body) {
      this.orders = body.orders;
      setText(this.statusEl, this.orders.length ? '' : this.t('orders.empty'));
      this.querySelector('[data-loading]')?.removeAttribute('data-loading');
    }

    // Items are built once; redraws only change their texts, so focus stays.
    render() {
      const views = this.orders.map((order) => this.describe(order));
      const items = new Map();
      this.orders.forEach((order, index) => {
        const item = this.items.get(order.order_id) || this.item(order);
        const view = views[index];
        setText(item.name, order.name);
        const date = this.date(order.created_at);
        setText(item.placed, [this.t('ordered_on', { date }), this.money(order, order.total)].filter(Boolean).join(' · '));
        setText(item.status, [view.message, view.timeLeft, view.edit].filter(Boolean).join(' '));
        setText(item.link, view.label);
        items.set(order.order_id, item);
      });
      const elements = [...items.values()].map((item) => item.element);
      const children = [...this.list.children];
      if (elements.length !== children.length || elements.some((el, i) => el !== children[i])) {
        this.list.replaceChildren(...elements);
      }
      this.items = items;
      return views;
    }

    item(order) {
      const make = (tag, className) => Object.assign(document.createElement(tag), { className });
      const element = make('li', 'ssb__order');
      const text = make('p', 'ssb__order-text');
      text.id = `${this.dataset.blockId || 'ssb'}-order-${order.order_id}`;
      const [name, placed, status] = ['name', 'placed', 'status'].map((part) => make('span', `ssb__order-${part}`));
      const link = make('a', 'ssb__button');
      link.href = `${this.dataset.proxyPath}/orders/${encodeURIComponent(order.order_id)}?locale=${encodeURIComponent(this.locale)}`;
      link.setAttribute('aria-describedby', text.id);
      text.append(name, ' ', placed, ' ', status);
      element.append(text, link);
      return { element, name, placed, status, link };
    }
  }

  if (!customElements.get('self-service-order')) customElements.define('self-service-order', SelfServiceOrder);
  if (!customElements.get('self-service-orders')) customElements.define('self-service-orders', SelfServiceOrders);
})();
