// The admin's pages (Requests, Request detail, Policy, Insights), rendered from the JSON API.
// Every call carries a fresh session token: App Bridge's inside the Shopify admin, or the embedding
// admin's through postMessage (the devshop's stand-in admin).
(function () {
  "use strict";

  var app = document.getElementById("app");
  // Until the shop's policy says otherwise (its review_target_hours).
  var DEFAULT_REVIEW_TARGET_HOURS = 24;
  var STATUSES = ["pending_review", "queued", "processing", "cancelled", "rejected", "failed"];
  var HOLD_STATUSES = ["placing", "held", "released", "not_needed", "cancelled", "failed"];

  // -- session tokens and API calls ---------------------------------------------------------------------

  function tokenFromParent() {
    return new Promise(function (resolve, reject) {
      var id = String(Math.random());
      function answer(event) {
        if (event.source !== window.parent || !event.data || event.data.type !== "self-service:session-token") return;
        if (event.data.id !== id) return;
        window.removeEventListener("message", answer);
        resolve(event.data.token);
      }
      window.addEventListener("message", answer);
      window.parent.postMessage({ type: "self-service:session-token-request", id: id }, "*");
      window.setTimeout(function () { reject(new Error("No session: open the app from the Shopify admin.")); }, 5000);
    });
  }

  function sessionToken() {
    if (window.shopify && typeof window.shopify.idToken === "function") return window.shopify.idToken();
    return tokenFromParent();
  }

  function api(method, path, body) {
    return sessionToken().then(function (token) {
      var headers = { Authorization: "Bearer " + token, Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return fetch("/admin/api" + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) return response.ok ? response : Promise.reject({ message: response.statusText });
      return response.json().then(function (json) {
        if (!response.ok) return Promise.reject(json.error || { message: response.statusText });
        return json;
      });
    });
  }

  // -- small DOM helpers (text only: data never becomes markup) ------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.indexOf("on") === 0) node.addEventListener(name.slice(2), attrs[name]);
      else if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); });
    return node;
  }

  function show(title, nodes) {
    app.replaceChildren(el("h1", { text: title }));
    nodes.forEach(function (node) { if (node) app.appendChild(node); });
    document.title = title + " · Self-service cancellations";
    app.focus();
  }

  function failure(error) {
    show("Something went wrong", [el("p", { class: "card", role: "alert", text: error.message || String(error) })]);
  }

  function badge(status) {
    return el("span", { class: "badge", "data-status": status, text: status.replace("_", " ") });
  }

  function ageHours(iso) {
    return (Date.now() - new Date(iso).getTime()) / 3600000;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : "";
  }

  // -- the shop's policy, loaded once per page view -------------------------------------------------------

  var policyLoaded = null;

  function shopPolicy() {
    // A policy that can't be read only costs the review target its shop setting.
    if (!policyLoaded) policyLoaded = api("GET", "/policy").then(function (data) { return data.policy; }, function () { policyLoaded = null; return null; });
    return policyLoaded;
  }

  function rememberPolicy(policy) {
    policyLoaded = Promise.resolve(policy);
  }

  // -- Requests -------------------------------------------------------------------------------------------

  function requestsPage(params) {
    var query = new URLSearchParams();
    if (params.status) query.set("status", params.status);
    if (params.q) query.set("q", params.q);
    query.set("page", params.page || "1");
    Promise.all([api("GET", "/requests?" + query.toString()), shopPolicy()]).then(function (loaded) {
      var data = loaded[0];
      var targetHours = (loaded[1] && loaded[1].review_target_hours) || DEFAULT_REVIEW_TARGET_HOURS;
      var status = el("select", { id: "filter-status", name: "status" }, [el("option", { value: "", text: "All" })].concat(
        STATUSES.map(function (s) { return el("option", { value: s, text: s.replace("_", " "), selected: s === params.status ? "selected" : null }); })
      ));
      var search = el("input", { id: "filter-q", type: "search", name: "q", value: params.q || "", placeholder: "Order or e-mail" });
      var filters = el("form", { class: "toolbar", role: "search", onsubmit: function (event) {
        event.preventDefault();
        navigate("#/requests?" + new URLSearchParams({ status: status.value, q: search.value }).toString());
      } }, [
        el("div", {}, [el("label", { for: "filter-status", text: "Status" }), status]),
        el("div", {}, [el("label", { for: "filter-q", text: "Search" }), search]),
        el("button", { type: "submit", text: "Filter" }),
      ]);

      var rows = data.requests.map(function (item) {
        var overdue = item.status === "pending_review" && ageHours(item.created_at) > targetHours;
        return el("tr", {}, [
          el("td", {}, [el("input", { type: "checkbox", name: "select", value: item.id, "aria-label": "Select " + item.order_name })]),
          el("td", {}, [el("a", { href: "#/requests/" + item.id, text: item.order_name })]),
          el("td", { text: item.customer_email || "" }),
          el("td", { text: item.reason }),
          el("td", {}, [badge(item.status), overdue ? el("span", { class: "overdue", text: " waiting over " + targetHours + " h" }) : null]),
          el("td", { text: when(item.created_at) }),
        ]);
      });
      var table = el("table", {}, [
        el("caption", { class: "muted", text: data.total + " requests · page " + data.page + " of " + data.pages }),
        el("thead", {}, [el("tr", {}, ["", "Order", "Customer", "Reason", "Status", "Requested"].map(function (h) { return el("th", { scope: "col", text: h }); }))]),
        el("tbody", {}, rows),
      ]);

      var message = el("input", { id: "bulk-message", type: "text", placeholder: "Message to the shopper (for reject)" });
      function bulk(action) {
        var ids = Array.prototype.map.call(app.querySelectorAll('input[name="select"]:checked'), function (box) { return box.value; });
        if (!ids.length) return;
        api("POST", "/requests/bulk", { action: action, ids: ids, message: message.value }).then(function () { route(); }, failure);
      }
      var actions = el("div", { class: "toolbar" }, [
        el("button", { type: "button", class: "primary", text: "Approve selected", onclick: function () { bulk("approve"); } }),
        el("div", {}, [el("label", { for: "bulk-message", text: "Rejection message" }), message]),
        el("button", { type: "button", class: "danger", text: "Reject selected", onclick: function () { bulk("reject"); } }),
      ]);
      var pager = el("p", {}, [
        data.page > 1 ? el("a", { href: "#/requests?" + new URLSearchParams({ status: params.status || "", q: params.q || "", page: data.page - 1 }), text: "← Newer" }) : null,
        " ",
        data.page < data.pages ? el("a", { href: "#/requests?" + new URLSearchParams({ status: params.status || "", q: params.q || "", page: data.page + 1 }), text: "Older →" }) : null,
      ]);
      show("Requests", [filters, el("div", { class: "card" }, [actions, table, pager])]);
    }, failure);
  }

  // -- Request detail -------------------------------------------------------------------------------------

  function detailPage(id) {
    api("GET", "/requests/" + encodeURIComponent(id)).then(function (data) {
      var item = data.request;
      function act(path, body) {
        return api("POST", "/requests/" + encodeURIComponent(id) + path, body).then(function () { route(); }, failure);
      }
      var facts = el("table", {}, [
        ["Order", item.order_name], ["Customer", item.customer_email || String(item.customer_id)], ["Reason", item.reason],
        ["Shopper's note", item.note || "—"], ["Requested", when(item.created_at)], ["Attempts", String(item.attempts)],
        ["Message to the shopper", item.message || "—"], ["Shopify's error", item.last_error || "—"],
      ].map(function (pair) { return el("tr", {}, [el("th", { scope: "row", text: pair[0] }), el("td", { text: pair[1] })]); }));

      var actions = [];
      if (item.status === "pending_review") actions.push(el("button", { type: "button", class: "primary", text: "Approve", onclick: function () { act("/approve"); } }));
      if (item.status === "failed") actions.push(el("button", { type: "button", class: "primary", text: "Retry", onclick: function () { act("/retry"); } }));
      if (["pending_review", "queued", "failed"].indexOf(item.status) !== -1) {
        var reason = el("textarea", { id: "reject-message", maxlength: "500" });
        actions.push(el("form", { onsubmit: function (event) { event.preventDefault(); act("/reject", { message: reason.value }); } }, [
          el("label", { for: "reject-message", text: "Message to the shopper" }), reason,
          el("button", { type: "submit", class: "danger", text: "Reject" }),
        ]));
      }
      var timeline = el("ol", {}, item.timeline.map(function (event) {
        return el("li", { text: when(event.at) + " — " + event.type + (event.status ? " (" + event.status + ")" : "") + (event.detail ? ": " + event.detail : "") });
      }));
      var noteText = el("textarea", { id: "note-text", maxlength: "2000" });
      var notes = el("div", {}, item.notes.map(function (note) {
        return el("p", {}, [el("strong", { text: note.author }), " · " + when(note.at) + ": " + note.text]);
      }).concat([el("form", { onsubmit: function (event) { event.preventDefault(); act("/notes", { text: noteText.value }); } }, [
        el("label", { for: "note-text", text: "Internal note" }), noteText, el("button", { type: "submit", text: "Add note" }),
      ])]));
      show("Request for order " + item.order_name, [
        el("p", {}, [el("a", { href: "#/requests", text: "← All requests" }), " ", badge(item.status)]),
        el("div", { class: "card" }, [facts]),
        actions.length ? el("div", { class: "card" }, actions) : null,
        el("div", { class: "card" }, [el("h2", { text: "Timeline" }), timeline]),
        el("div", { class: "card" }, [el("h2", { text: "Notes" }), notes]),
      ]);
    }, failure);
  }

  // -- Policy ---------------------------------------------------------------------------------------------

  var FINANCIAL_STATUSES = ["AUTHORIZED", "PAID", "PARTIALLY_PAID", "PENDING"];
  var OPTION_LABELS = {
    minutes: "A number of minutes after the order was placed",
    until_fulfillment: "Until fulfillment starts (no time limit)",
    automatic: "automatic",
    manual: "manual",
    manual_above_total: "manual above an order total",
    approve: "approve",
    reject: "reject",
  };

  function policyPage() {
    api("GET", "/policy").then(function (data) {
      var policy = data.policy;
      rememberPolicy(policy);
      var form = el("form", { class: "card", novalidate: "novalidate" });
      // name → how to read the value the API expects from its input(s).
      var readers = {};
      function errorSlot(name) { return el("span", { class: "field-error", "data-error-for": name }); }
      function field(name, label, input, read) {
        input.id = "policy-" + name;
        input.name = name;
        readers[name] = function () { return read(input); };
        form.appendChild(el("div", {}, [el("label", { for: input.id, text: label }), input, errorSlot(name)]));
      }
      function select(name, label, value, options) {
        field(name, label, el("select", {}, options.map(function (option) {
          return el("option", { value: option, text: OPTION_LABELS[option] || option.split("_").join(" "), selected: option === value ? "selected" : null });
        })), function (input) { return input.value; });
      }
      function checkbox(name, label, checked) {
        field(name, label, el("input", { type: "checkbox", checked: checked ? "checked" : null }), function (input) { return input.checked; });
      }
      function number(name, label, value, attrs, nullable) {
        field(name, label, el("input", Object.assign({ type: "number", value: value === null || value === undefined ? "" : value }, attrs)), function (input) {
          var text = input.value.trim();
          if (text === "") return nullable ? null : text;  // the API explains what is missing
          return attrs.step === "0.01" ? text : Number(text);  // a money amount stays a decimal string
        });
      }
      function text(name, label, value, nullable) {
        field(name, label, el("input", { type: "text", value: value || "" }), function (input) {
          return nullable ? (input.value.trim() || null) : input.value;
        });
      }
      function tags(name, label, value) {
        field(name, label, el("input", { type: "text", value: value.join(", ") }), function (input) {
          return input.value.split(",").map(function (tag) { return tag.trim(); }).filter(Boolean);
        });
      }

      checkbox("enabled", "Shoppers can cancel orders themselves", policy.enabled);
      select("window_mode", "Time limit", policy.window_mode, ["minutes", "until_fulfillment"]);
      number("cancel_window_minutes", "Cancel window (minutes after the order was placed)", policy.cancel_window_minutes, { min: "1" }, false);
      checkbox("hold_fulfillment", "Hold fulfillment during the cancel window (released when the window closes)", policy.hold_fulfillment);

      var statusBoxes = FINANCIAL_STATUSES.map(function (status) {
        var box = el("input", { type: "checkbox", id: "policy-status-" + status, name: "allowed_financial_statuses", value: status,
          checked: policy.allowed_financial_statuses.indexOf(status) !== -1 ? "checked" : null });
        return el("label", { for: box.id, class: "inline" }, [box, " " + status.split("_").join(" ").toLowerCase()]);
      });
      readers.allowed_financial_statuses = function () {
        // Statuses set outside this page (e.g. with the CLI) are kept.
        var others = policy.allowed_financial_statuses.filter(function (status) { return FINANCIAL_STATUSES.indexOf(status) === -1; });
        return others.concat(FINANCIAL_STATUSES.filter(function (status) { return form.querySelector("#policy-status-" + status).checked; }));
      };
      form.appendChild(el("fieldset", {}, [el("legend", { text: "Payment statuses that can be cancelled" })].concat(statusBoxes, [errorSlot("allowed_financial_statuses")])));

      tags("excluded_order_tags", "Orders with these tags can't be cancelled (comma-separated)", policy.excluded_order_tags);
      tags("excluded_product_tags", "Orders with products tagged like this can't be cancelled (comma-separated)", policy.excluded_product_tags);
      select("review_mode", "Review", policy.review_mode, ["automatic", "manual", "manual_above_total"]);
      number("review_threshold", "Order total above which a person decides (shop currency)", policy.review_threshold, { min: "0", step: "0.01" }, true);
      number("auto_review_after_hours", "Decide automatically after (hours; empty: never)", policy.auto_review_after_hours, { min: "1", step: "1" }, true);
      select("auto_review_action", "Automatic decision", policy.auto_review_action, ["approve", "reject"]);
      field("auto_reject_message", "Message to the shopper when rejected automatically", el("textarea", { maxlength: "500" }), function (input) {
        return input.value.trim() || null;
      });
      form.querySelector("#policy-auto_reject_message").value = policy.auto_reject_message || "";
      number("review_target_hours", "Mark requests waiting longer than (hours)", policy.review_target_hours, { min: "1", step: "1" }, false);
      select("refund_method", "Refund", policy.refund_method, ["original_payment", "store_credit", "none"]);
      checkbox("restock", "Restock the items", policy.restock);
      checkbox("notify_customer", "E-mail the customer", policy.notify_customer);
      text("cancelled_order_tag", "Tag added to orders cancelled this way (optional)", policy.cancelled_order_tag, true);
      text("returns_url", "Returns page (shown when an order has started shipping)", policy.returns_url, true);
      text("contact_url", "Contact page (offered when an order can't be cancelled or a request is turned down)", policy.contact_url, true);
      reasonsEditor(form, readers, errorSlot, policy.reasons, data.default_reasons || [], data.languages || []);

      var status = el("p", { role: "status" });
      form.appendChild(el("p", {}, [el("button", { type: "submit", class: "primary", text: "Save policy" })]));
      form.appendChild(status);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var values = Object.assign({}, policy);
        Object.keys(readers).forEach(function (name) { values[name] = readers[name](); });
        form.querySelectorAll("[data-error-for]").forEach(function (node) { node.textContent = ""; });
        api("PUT", "/policy", values).then(function (saved) {
          policy = saved.policy;
          rememberPolicy(policy);
          status.textContent = "Saved.";
        }, function (error) {
          status.textContent = error.message || "Not saved.";
          Object.keys(error.fields || {}).forEach(function (name) {
            var slot = form.querySelector('[data-error-for="' + name.split(".")[0] + '"]');
            if (slot) slot.textContent = error.fields[name];
          });
        });
      });
      show("Policy", [form]);
    }, failure);
  }

  // Which reasons shoppers may pick, with the shop's own wording per storefront language.
  function reasonsEditor(form, readers, errorSlot, current, defaults, languages) {
    var byCode = {};
    current.forEach(function (reason) { byCode[reason.code] = reason; });
    var codes = current.map(function (reason) { return reason.code; });
    defaults.forEach(function (reason) { if (codes.indexOf(reason.code) === -1) codes.push(reason.code); });
    var defaultLabels = {};
    defaults.forEach(function (reason) { defaultLabels[reason.code] = reason.label; });
    var translated = languages.filter(function (language) { return language !== "en"; });

    var rows = codes.map(function (code) {
      var reason = byCode[code] || { code: code, label: defaultLabels[code] || code, labels: {} };
      var offered = el("input", { type: "checkbox", id: "reason-" + code + "-offered", checked: byCode[code] ? "checked" : null });
      var label = el("input", { type: "text", id: "reason-" + code + "-label", value: reason.label, maxlength: "120" });
      var perLanguage = translated.map(function (language) {
        var input = el("input", { type: "text", id: "reason-" + code + "-" + language, value: (reason.labels || {})[language] || "", maxlength: "120" });
        return { language: language, input: input, row: el("div", {}, [el("label", { for: input.id, text: language.toUpperCase() + " (empty: the built-in translation)" }), input]) };
      });
      var box = el("fieldset", { class: "card" }, [
        el("legend", { text: code.replace(/_/g, " ") }),
        el("label", { for: offered.id }, [offered, " Offered to shoppers"]),
        el("label", { for: label.id, text: "Label" }), label,
        el("details", {}, [el("summary", { text: "Labels in other languages" })].concat(perLanguage.map(function (item) { return item.row; }))),
      ]);
      return { code: code, offered: offered, label: label, perLanguage: perLanguage, box: box };
    });
    readers.reasons = function () {
      return rows.filter(function (row) { return row.offered.checked; }).map(function (row) {
        var labels = {};
        row.perLanguage.forEach(function (item) { if (item.input.value.trim()) labels[item.language] = item.input.value.trim(); });
        return { code: row.code, label: row.label.value.trim(), labels: labels };
      });
    };
    form.appendChild(el("div", {}, [el("h2", { text: "Reasons shoppers can pick" }), errorSlot("reasons")].concat(rows.map(function (row) { return row.box; }))));
  }

  // -- Insights -------------------------------------------------------------------------------------------

  function svgFragment(markup) {
    // Charts are drawn by the server from numbers only (no shopper text), as an SVG document.
    var parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    return document.importNode(parsed.documentElement, true);
  }

  function insightsPage(params) {
    var query = new URLSearchParams();
    if (params.from) query.set("from", params.from);
    if (params.to) query.set("to", params.to);
    api("GET", "/insights?" + query.toString()).then(function (data) {
      var from = el("input", { id: "range-from", type: "date", value: data.from });
      var to = el("input", { id: "range-to", type: "date", value: data.to });
      var range = el("form", { class: "toolbar", onsubmit: function (event) {
        event.preventDefault();
        navigate("#/insights?" + new URLSearchParams({ from: from.value, to: to.value }).toString());
      } }, [
        el("div", {}, [el("label", { for: "range-from", text: "From" }), from]),
        el("div", {}, [el("label", { for: "range-to", text: "To" }), to]),
        el("button", { type: "submit", text: "Show" }),
      ]);
      var value = Object.keys(data.cancelled_value).map(function (currency) { return data.cancelled_value[currency] + " " + currency; }).join(", ") || "0";
      function stat(title, text) { return el("div", { class: "card" }, [el("h2", { text: title }), el("p", { text: text })]); }
      var stats = el("div", { class: "stats" }, [
        stat("Requests", String(data.totals.requests)),
        stat("Cancelled", String(data.totals.cancellations)),
        stat("Value of cancelled orders", value),
        stat("Rejected as too late", Math.round(data.too_late_share * 100) + " %"),
      ]);
      var outcomes = el("div", { class: "card" }, [el("h2", { text: "Outcomes" }), el("table", {}, Object.keys(data.by_outcome).map(function (status) {
        return el("tr", {}, [el("th", { scope: "row" }, [badge(status)]), el("td", { text: String(data.by_outcome[status]) })]);
      }))]);
      var charts = Object.keys(data.charts || {}).map(function (name) { return el("div", { class: "card" }, [svgFragment(data.charts[name])]); });
      var download = el("button", { type: "button", text: "Download CSV", onclick: function () {
        api("GET", "/requests.csv?" + query.toString()).then(function (response) { return response.blob(); }).then(function (blob) {
          var link = el("a", { href: URL.createObjectURL(blob), download: "cancellation-requests.csv" });
          document.body.appendChild(link);
          link.click();
          link.remove();
        }, failure);
      } });
      show("Insights", [range, stats].concat(charts, [outcomes, el("p", {}, [download])]));
    }, failure);
  }

  // -- routing --------------------------------------------------------------------------------------------

  function navigate(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  }

  function holdsPage(params) {
    var status = params.status || "";
    api("GET", "/fulfillment-holds" + (status ? "?status=" + encodeURIComponent(status) : "")).then(function (data) {
      var choose = el("select", { id: "hold-status" }, [el("option", { value: "", text: "all" })].concat(
        HOLD_STATUSES.map(function (s) { return el("option", { value: s, text: s.replace("_", " "), selected: s === status ? "selected" : null }); })
      ));
      var filters = el("form", { class: "toolbar", onsubmit: function (event) {
        event.preventDefault();
        navigate("#/holds" + (choose.value ? "?status=" + choose.value : ""));
      } }, [el("label", { for: "hold-status", text: "Status" }), choose, el("button", { type: "submit", text: "Show" })]);
      var rows = data.holds.map(function (hold) {
        var last = hold.events[hold.events.length - 1] || {};
        var retry = hold.status === "failed" ? el("button", { type: "button", class: "primary", text: "Retry", onclick: function () {
          api("POST", "/fulfillment-holds/" + hold.order_id + "/retry").then(function () { route(); }, failure);
        } }) : null;
        return el("tr", {}, [
          el("td", { text: hold.order_name || String(hold.order_id) }),
          el("td", {}, [badge(hold.status)]),
          el("td", { text: hold.release_at ? when(hold.release_at) : "" }),
          el("td", { text: hold.status === "failed" ? hold.step + ": " + (hold.last_error || "") : (last.detail || "") }),
          el("td", {}, [retry]),
        ]);
      });
      var table = el("table", {}, [
        el("caption", { class: "muted", text: "Fulfillment holds placed during the cancel window (" + data.holds.length + ")" }),
        el("thead", {}, [el("tr", {}, ["Order", "Status", "Release at", "Detail", ""].map(function (h) { return el("th", { scope: "col", text: h }); }))]),
        el("tbody", {}, rows),
      ]);
      show("Fulfillment holds", [filters, data.holds.length ? table : el("p", { text: "No holds." })]);
    }, failure);
  }

  function route() {
    var hash = window.location.hash || "#/requests";
    var path = hash.slice(1).split("?")[0];
    var params = Object.fromEntries(new URLSearchParams(hash.split("?")[1] || ""));
    var section = path.split("/")[1] || "requests";
    document.querySelectorAll("[data-nav]").forEach(function (link) {
      if (link.getAttribute("data-nav") === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    var detail = path.match(/^\/requests\/([A-Za-z0-9_-]+)$/);
    if (detail) detailPage(detail[1]);
    else if (section === "policy") policyPage();
    else if (section === "insights") insightsPage(params);
    else if (section === "holds") holdsPage(params);
    else requestsPage(params);
  }

  window.addEventListener("hashchange", route);
  route();
})();
