// The devshop's stand-in for App Bridge (https://cdn.shopify.com/shopifycloud/app-bridge.js), loaded by the
// embedded app from the same path. It gives the app the part of App Bridge it uses:
//   shopify.idToken()                       a fresh session token (the devshop admin signs it)
//   shopify.toast.show(message, {isError})  a toast in the admin
//   shopify.saveBar.show(id) / hide(id)     the contextual save bar of <ui-save-bar id> in the admin's top bar
//   <ui-title-bar title>                    the title (and a breadcrumb button) above the app
//   <ui-nav-menu>                           the app's sections in the admin's navigation
// and, like App Bridge, dispatches `shopify:navigate` on the menu link the admin asks to follow.
// The admin page (devshop/templates/devshop_admin.html) draws all of it, outside the app's frame.
(function () {
  "use strict";
  var adminOrigin = new URL(document.currentScript.src).origin;
  var parent = window.parent;
  var waiting = {};
  var openSaveBars = {};

  var lastSent = {};

  function post(message) {
    parent.postMessage(message, adminOrigin);
  }

  // The page changes often (every render); the admin hears of a bar or menu only when it changed.
  function postChanged(key, message) {
    var text = JSON.stringify(message);
    if (lastSent[key] === text) return;
    lastSent[key] = text;
    post(message);
  }

  function idToken() {
    return new Promise(function (resolve, reject) {
      var id = String(Math.random()).slice(2);
      waiting[id] = resolve;
      post({ type: "app-bridge:token-request", id: id });
      window.setTimeout(function () {
        if (waiting[id]) {
          delete waiting[id];
          reject(new Error("No session token: open the app from the devshop's admin."));
        }
      }, 5000);
    });
  }

  function buttonsOf(element) {
    return Array.prototype.map.call(element.querySelectorAll("button, a"), function (button) {
      return {
        label: button.textContent.trim(),
        variant: button.getAttribute("variant") || "",
        disabled: button.hasAttribute("disabled"),
      };
    });
  }

  function sendSaveBar(id) {
    var element = document.getElementById(id);
    postChanged("save-bar:" + id, { type: "app-bridge:save-bar", id: id, open: Boolean(openSaveBars[id]), buttons: element ? buttonsOf(element) : [] });
  }

  function sendTitleBar() {
    var bar = document.querySelector("ui-title-bar");
    postChanged("title-bar", { type: "app-bridge:title-bar", title: bar ? bar.getAttribute("title") || "" : "", buttons: bar ? buttonsOf(bar) : [] });
  }

  function sendNavMenu() {
    var menu = document.querySelector("ui-nav-menu");
    var links = menu ? menu.querySelectorAll("a") : [];
    postChanged("nav-menu", {
      type: "app-bridge:nav-menu",
      items: Array.prototype.map.call(links, function (link) {
        return { label: link.textContent.trim(), href: link.getAttribute("href"), home: link.getAttribute("rel") === "home" };
      }),
    });
  }

  function sendLocation() {
    postChanged("location", { type: "app-bridge:location", path: window.location.pathname + window.location.search });
  }

  window.shopify = {
    config: { apiKey: (document.querySelector('meta[name="shopify-api-key"]') || {}).content || "" },
    idToken: idToken,
    toast: {
      show: function (message, options) {
        post({ type: "app-bridge:toast", message: String(message), isError: Boolean(options && options.isError) });
      },
      hide: function () {},
    },
    saveBar: {
      show: function (id) {
        openSaveBars[id] = true;
        sendSaveBar(id);
        return Promise.resolve();
      },
      hide: function (id) {
        delete openSaveBars[id];
        sendSaveBar(id);
        return Promise.resolve();
      },
      toggle: function (id) {
        return openSaveBars[id] ? this.hide(id) : this.show(id);
      },
    },
  };

  // The elements render nothing in the app's frame: the admin draws them.
  ["ui-nav-menu", "ui-title-bar", "ui-save-bar"].forEach(function (name) {
    if (!customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        connectedCallback() { this.style.display = "none"; }
      });
    }
  });

  new MutationObserver(function () {
    sendTitleBar();
    sendNavMenu();
    Object.keys(openSaveBars).forEach(sendSaveBar);
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });

  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      sendLocation();
      return result;
    };
  });
  window.addEventListener("popstate", sendLocation);

  function clickIn(selector, index) {
    var element = typeof selector === "string" ? document.querySelector(selector) : selector;
    var buttons = element ? element.querySelectorAll("button, a") : [];
    if (buttons[index]) buttons[index].click();
  }

  window.addEventListener("message", function (event) {
    if (event.source !== parent || event.origin !== adminOrigin || !event.data) return;
    var data = event.data;
    if (data.type === "app-bridge:token" && waiting[data.id]) {
      waiting[data.id](data.token);
      delete waiting[data.id];
    } else if (data.type === "app-bridge:navigate") {
      var link = Array.prototype.find.call(document.querySelectorAll("ui-nav-menu a"), function (a) { return a.getAttribute("href") === data.href; });
      if (link) link.dispatchEvent(new CustomEvent("shopify:navigate", { bubbles: true }));
    } else if (data.type === "app-bridge:title-bar-click") {
      clickIn("ui-title-bar", data.index);
    } else if (data.type === "app-bridge:save-bar-click") {
      clickIn(document.getElementById(data.id), data.index);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    sendNavMenu();
    sendTitleBar();
    sendLocation();
  });
})();
