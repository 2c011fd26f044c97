// Self-service order cancellation: enhances the blocks' plain links with the app's JSON answer for the same URL.
// The server decides eligibility every time; the countdown only says how long until the block asks it again.
(() => {
  const POLL_STATUSES = ['pending_review', 'queued', 'processing'];
  const MINUTE = 60000;
  const MAX_DELAY = 60 * MINUTE;

  class SelfServiceElement extends HTMLElement {
    connectedCallback() {
      this.locale = this.dataset.locale || document.documentElement.lang || 'en';
      this.countdown = this.dataset.countdown !== 'false';
      this.statusEl = this.querySelector('[data-status]');
      this.link = this.querySelector('[data-link]');
      const template = this.querySelector('template[data-self-service-strings]');
      if (!template || !this.statusEl || !this.link) return;
      this.strings = {};
      template.content.querySelectorAll('[data-key]').forEach((el) => {
        this.strings[el.dataset.key] = el.textContent.trim();
      });
      this.backoff = 5000;
      this.load();
    }

    disconnectedCallback() {
      clearTimeout(this.timer);
      if (this.controller) this.controller.abort();
    }

    t(key, values = {}) {
      const text = this.strings[key] || '';
      return text.replace(/\[(\w+)\]/g, (match, name) => (name in values ? values[name] : match));
    }

    async load() {
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
        this.show();
      } catch (error) {
        if (error.name === 'AbortError') return;
        const keys = { 401: 'login_required', 404: 'not_found', 429: 'too_many_requests', 503: 'unavailable' };
        this.setStatus(this.t(`error.${keys[error.status] || 'generic'}`));
      }
    }

    setStatus(text) {
      // Only real changes reach the live region, so screen readers are not told the same thing twice.
      if (this.statusEl.textContent !== text) this.statusEl.textContent = text;
    }

    // One order of the contract → what to show, and when to look again (redraw the minutes, or ask the server).
    describe(order) {
      const view = { message: '', timeLeft: '', label: this.t('details'), delay: 0, refetch: false };
      const request = order.request;
      if (request) {
        view.message = this.t(`status.${request.status}`) || request.message;
        if (POLL_STATUSES.includes(request.status)) Object.assign(view, { delay: this.backoff, refetch: true });
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
      if (left <= 0) return Object.assign(view, { delay: this.backoff, refetch: true });
      if (!this.countdown) return Object.assign(view, { delay: Math.min(left + 1000, MAX_DELAY), refetch: true });
      view.timeLeft = this.t('time_left', { time: this.duration(left) });
      view.delay = left % MINUTE || MINUTE; // the next time the rounded-up minutes change
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

    schedule(views) {
      clearTimeout(this.timer);
      const next = views.filter((view) => view.delay > 0).sort((a, b) => a.delay - b.delay)[0];
      if (!next) return;
      if (next.refetch) this.backoff = Math.min(this.backoff * 2, 5 * MINUTE);
      this.timer = setTimeout(() => (next.refetch ? this.load() : this.show()), next.delay);
    }
  }

  class SelfServiceOrder extends SelfServiceElement {
    received(order) {
      this.order = order;
    }

    show() {
      const view = this.describe(this.order);
      this.setStatus(view.message);
      this.querySelector('[data-timer]').textContent = view.timeLeft;
      this.link.textContent = view.label;
      const request = this.order.request;
      this.dataset.state = request ? request.status : this.order.eligible ? 'eligible' : 'ineligible';
      this.schedule([view]);
    }
  }

  class SelfServiceOrders extends SelfServiceElement {
    connectedCallback() {
      this.list = this.querySelector('[data-orders]');
      if (this.list) this.list.setAttribute('data-loading', '');
      super.connectedCallback();
    }

    received(body) {
      this.orders = body.orders;
      this.setStatus(this.orders.length ? '' : this.t('orders.empty'));
    }

    show() {
      const views = this.orders.map((order) => this.describe(order));
      const items = this.orders.map((order, index) => {
        const view = views[index];
        const item = document.createElement('li');
        item.className = 'ssb__order';
        item.dataset.orderId = order.order_id;
        const text = document.createElement('p');
        text.className = 'ssb__order-text';
        text.id = `${this.dataset.blockId || 'ssb'}-order-${order.order_id}`;
        const name = document.createElement('span');
        name.className = 'ssb__order-name';
        name.textContent = order.name;
        text.append(name, [view.message, view.timeLeft].filter(Boolean).join(' '));
        const link = document.createElement('a');
        link.className = 'ssb__button';
        link.href = `${this.dataset.proxyPath}/orders/${encodeURIComponent(order.order_id)}?locale=${encodeURIComponent(this.locale)}`;
        link.textContent = view.label;
        link.setAttribute('aria-describedby', text.id);
        item.append(text, link);
        return item;
      });
      this.list.replaceChildren(...items);
      this.list.removeAttribute('data-loading');
      this.schedule(views);
    }
  }

  if (!customElements.get('self-service-order')) customElements.define('self-service-order', SelfServiceOrder);
  if (!customElements.get('self-service-orders')) customElements.define('self-service-orders', SelfServiceOrders);
})();
