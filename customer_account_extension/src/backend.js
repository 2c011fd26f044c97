// The app's backend for this extension: /customer-account/... on the app's own URL, with the customer's session
// token. App proxy calls do not work from customer accounts (https://github.com/Shopify/ui-extensions/issues/1646).

// The app's public URL (shopify.app.toml's application_url). The devshop's host page maps it to the local app.
export const APP_URL = 'https://self-service.example.app';

// Statuses after which a request no longer changes.
export const FINAL_STATUSES = ['cancelled', 'rejected', 'failed'];
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

export function isFinal(request) {
  return FINAL_STATUSES.includes(request.status);
}

// "Time left: 54 min." in the shopper's language, from the order's deadline (as the storefront page says it).
export function timeLeft(deadline, now = Date.now()) {
  const {translate} = shopify.i18n;
  const seconds = Math.max(0, Math.floor((Date.parse(deadline) - now) / 1000));
  const minutes = Math.floor(seconds / 60);
  let time;
  if (seconds < 60) time = translate('time_left.under_a_minute');
  else if (minutes < 60) time = translate('time_left.minutes', {minutes});
  else time = translate('time_left.hours', {hours: Math.floor(minutes / 60), minutes: minutes % 60});
  return translate('time_left', {time});
}
