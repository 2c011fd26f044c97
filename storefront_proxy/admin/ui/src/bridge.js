// App Bridge, as Shopify serves it to an embedded app (https://cdn.shopify.com/shopifycloud/app-bridge.js; the
// devshop serves a stand-in at the same path): session tokens, toasts, the contextual save bar, the title bar and
// the navigation menu (the last two are <ui-title-bar> and <ui-nav-menu> elements in the page).
// https://shopify.dev/docs/api/app-bridge-library

function shopify() {
  if (!window.shopify) throw new Error("App Bridge is not loaded: open the app from the Shopify admin.");
  return window.shopify;
}

export function idToken() {
  return shopify().idToken();
}

export function toast(message, { error = false } = {}) {
  if (window.shopify && window.shopify.toast) window.shopify.toast.show(message, { isError: error, duration: 5000 });
}

export function showSaveBar(id) {
  if (window.shopify && window.shopify.saveBar) window.shopify.saveBar.show(id);
}

export function hideSaveBar(id) {
  if (window.shopify && window.shopify.saveBar) window.shopify.saveBar.hide(id);
}
