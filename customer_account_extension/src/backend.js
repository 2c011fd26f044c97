// The app's backend for this extension: /customer-account/... on the app's own URL, with the customer's session
// token. App proxy calls do not work from customer accounts (https://github.com/Shopify/ui-extensions/issues/1646).

// The app's public URL (shopify.app.toml's application_url). The devshop's host page maps it to the local app.
export const APP_URL = 'https://self-service.example.app';

// Statuses after which a request (a cancellation, or an edit: `applied`) no longer changes.
export const FINAL_STATUSES = ['cancelled', 'applied', 'rejected', 'failed'];
// The full-page extension for changing an order (customer_account_edit_extension/), linked to with Shopify's
// `extension:` protocol: extension:<handle>/customer-account.order.page.render/<order id>/.
export const EDIT_PAGE_HANDLE = 'self-service-order-edit';
// An open request's status is read again after 3 s, then less often (a request can wait hours for review),
// at most every 15 s: live while it is being carried out, light on the shopper's request budget while it waits.
export const POLL_MILLISECONDS = 3000;
export const POLL_MAX_MILLISECONDS = 15000;

export function nextPoll(previous) {
  return Math.min(Math.round(previous * 1.5), POLL_MAX_MILLISECONDS);
}

export class BackendError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function language() {
  return shopify.localization.language.value?.isoCode || 'en';
}

async function call(path, options = {}) {
  // Shopify caches the token and renews it as needed: ask for it before every call.
  const token = await shopify.sessionToken.get();
  const url = `${APP_URL}/customer-account${path}?locale=${encodeURIComponent(language())}`;
  const response = await fetch(url, {
    ...options,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${token}`,
      ...(options.body ? {'Content-Type': 'application/json'} : {}),
    },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error || {};
    throw new BackendError(response.status, error.code || 'internal_error', error.message || '');
  }
  return body;
}

function orderPath(orderId) {
  return `/orders/${encodeURIComponent(orderId)}`;
}

// The order as the storefront contract gives it: eligible, ineligible_reasons, cancel_deadline, reasons, request.
export function fetchOrder(orderId) {
  return call(orderPath(orderId));
}

export async function fetchRequest(orderId) {
  return (await call(`${orderPath(orderId)}/cancellation`)).request;
}

export async function requestCancellation(orderId, reason, note) {
  const body = JSON.stringify({reason, ...(note ? {note} : {})});
  return (await call(`${orderPath(orderId)}/cancellation`, {method: 'POST', body})).request;
}

// Ask to change the order: `lineItems` [{id, quantity, variant_id?}] (only the lines that change), `address` the
// whole shipping address or null to keep it. 202 with the new edit; 400/409 as BackendError with the app's message.
export async function requestEdit(orderId, lineItems, address) {
  const body = JSON.stringify({line_items: lineItems, ...(address ? {shipping_address: address} : {})});
  return (await call(`${orderPath(orderId)}/edits`, {method: 'POST', body})).edit;
}

export async function fetchEdit(orderId, editId) {
  return (await call(`${orderPath(orderId)}/edits/${encodeURIComponent(editId)}`)).edit;
}

// The order's number from its GID (gid://shopify/Order/5001 → 5001), as Shopify's order URLs carry it.
export function orderNumber(orderId) {
  return String(orderId || '').split('/').pop();
}

// Where "Change items or address" leads: the edit extension's full page for this order.
export function editPageUrl(orderId) {
  return `extension:${EDIT_PAGE_HANDLE}/customer-account.order.page.render/${orderNumber(orderId)}/`;
}

// {amount: "39.90", currency_code: "EUR"} in the shopper's format ("€ 39,90" in Dutch); "39.90 EUR" without Intl.
export function formatMoney(money) {
  if (!money) return '';
  try {
    const format = new Intl.NumberFormat(language(), {style: 'currency', currency: money.currency_code});
    return format.format(Number(money.amount));
  } catch {
    return `${money.amount} ${money.currency_code}`;
  }
}

// "You can change this order until 3 Mar 2026, 14:00." in the shopper's language and local time, or "… until it
// ships." when the edit window lasts until fulfillment (edit_deadline null).
export function editUntil(order) {
  const {translate} = shopify.i18n;
  if (!order.edit_deadline) return translate('edit.until_shipping');
  let date;
  try {
    const format = new Intl.DateTimeFormat(language(), {dateStyle: 'medium', timeStyle: 'short'});
    date = format.format(new Date(order.edit_deadline));
  } catch {
    date = new Date(order.edit_deadline).toLocaleString();
  }
  return translate('edit.until', {date});
}

// The refund sentence with the order's total in the shopper's format ("€ 39,90" in Dutch): the app writes the
// amount as "39.90 EUR" (order.total) and gives it apart (order.total_money) for the client to format.
export function refundMessage(order) {
  const message = order && order.refund ? order.refund.message : '';
  if (!message || !order.total || !order.total_money) return message;
  try {
    const {amount, currency_code: currency} = order.total_money;
    const local = new Intl.NumberFormat(language(), {style: 'currency', currency}).format(Number(amount));
    return message.split(order.total).join(local);
  } catch {
    return message;
  }
}

export function isFinal(request) {
  return FINAL_STATUSES.includes(request.status);
}

// "Time left: 54 minutes." in the shopper's language, from the order's deadline, counted as the storefront page and
// the theme block count it: minutes rounded up, in the language's own words for days, hours and minutes (Intl);
// the shorter catalog words where Intl lacks unit and list formats.
export function timeLeft(deadline, now = Date.now()) {
  const {translate} = shopify.i18n;
  const minutes = Math.max(0, Math.ceil((Date.parse(deadline) - now) / 60000));
  return translate('time_left', {time: duration(minutes, language(), translate)});
}

function duration(total, locale, translate) {
  if (typeof Intl === 'undefined' || !Intl.ListFormat) {
    if (total < 60) return translate('time_left.minutes', {minutes: total});
    return translate('time_left.hours', {hours: Math.floor(total / 60), minutes: total % 60});
  }
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const parts = days ? [[days, 'day'], [hours, 'hour']] : [[hours, 'hour'], [total % 60, 'minute']];
  const units = parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => new Intl.NumberFormat(locale, {style: 'unit', unit, unitDisplay: 'long'}).format(value));
  return new Intl.ListFormat(locale, {style: 'long', type: 'unit'}).format(units);
}
