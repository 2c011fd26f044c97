// The cancel page's enhancements: local deadline and time left, the two-step confirmation in place,
// and live status. Without this script the page still works: plain forms and a refresh link.
(function () {
  "use strict";

  var root = document.querySelector(".ssc");
  if (!root) return;
  var messages = {};
  try { messages = JSON.parse(root.getAttribute("data-messages") || "{}"); } catch (e) { messages = {}; }
  var lang = root.getAttribute("lang") || "en";
  var FINAL = { cancelled: true, applied: true, rejected: true, failed: true };

  function t(key, params) {
    var text = messages[key] || key;
    Object.keys(params || {}).forEach(function (name) { text = text.split("{" + name + "}").join(params[name]); });
    return text;
  }

  function focus(element) {
    if (element) element.focus();
  }

  // -- deadline and time left -----------------------------------------------------------------------

  function localTime(iso) {
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
    } catch (e) {
      return new Date(iso).toLocaleString();
    }
  }

  // Counted as the theme block counts it (theme_extension/assets/self-service.js), so both say the same: minutes
  // rounded up, in the language's own words for days, hours and minutes.
  // Browsers without Intl's unit and list formats (Safari before 14.1) get the catalog's shorter words.
  function timeLeft(secondsLeft) {
    var total = Math.ceil(secondsLeft / 60);
    if (!window.Intl || !Intl.ListFormat) {
      if (total < 60) return t("page.time_left.minutes", { minutes: total });
      return t("page.time_left.hours", { hours: Math.floor(total / 60), minutes: total % 60 });
    }
    var days = Math.floor(total / 1440);
    var hours = Math.floor((total % 1440) / 60);
    var parts = days ? [[days, "day"], [hours, "hour"]] : [[hours, "hour"], [total % 60, "minute"]];
    var units = parts
      .filter(function (part) { return part[0] > 0; })
      .map(function (part) {
        return new Intl.NumberFormat(lang, { style: "unit", unit: part[1], unitDisplay: "long" }).format(part[0]);
      });
    return new Intl.ListFormat(lang, { style: "long", type: "unit" }).format(units);
  }

  // Amounts in the shopper's language ("€ 39,90" in Dutch); the server wrote "39.90 EUR".
  function localMoney(element) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: element.getAttribute("data-currency") })
        .format(Number(element.getAttribute("data-amount")));
    } catch (e) {
      return null;
    }
  }

  function formatMoney(amount, currency) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency }).format(Number(amount));
    } catch (e) {
      return amount + " " + currency;
    }
  }

  function localizeMoney(element) {
    var written = element.getAttribute("data-money-text");
    var local = written && localMoney(element);
    if (local) element.textContent = element.textContent.split(written).join(local);
  }

  root.querySelectorAll("[data-money-text]").forEach(localizeMoney);

  root.querySelectorAll("[data-ordered-on]").forEach(function (element) {
    var date;
    try {
      date = new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(new Date(element.getAttribute("data-ordered-on")));
    } catch (e) {
      return;  // the ISO date the server wrote stays
    }
    var total = element.getAttribute("data-total") && (localMoney(element) || element.getAttribute("data-total"));
    element.textContent = total
      ? t("page.ordered_on_total", { date: date, total: total })
      : t("page.ordered_on", { date: date });
  });

  root.querySelectorAll("[data-deadline]").forEach(function (element) {
    var words = element.getAttribute("data-deadline-words") || "page.can_cancel_until";
    element.textContent = t(words, { deadline: localTime(element.getAttribute("data-deadline")) });
  });

  // The countdown starts from the seconds the server says are left: the shopper's clock may be off.
  var timeLeftElement = root.querySelector("[data-time-left]");
  if (timeLeftElement) {
    var secondsAtLoad = Number(timeLeftElement.getAttribute("data-seconds-left")) || 0;
    var loadedAt = performance.now();
    var timer = window.setInterval(tick, 30000);
    function tick() {
      if (!document.body.contains(timeLeftElement)) {
        window.clearInterval(timer);  // the form was replaced by the request's status
        return;
      }
      var left = secondsAtLoad - (performance.now() - loadedAt) / 1000;
      if (left <= 0) {
        window.clearInterval(timer);
        window.location.reload();  // once: the server decides what the page shows when the window closes
        return;
      }
      timeLeftElement.textContent = t("page.time_left", { time: timeLeft(left) });
    }
    tick();
  }

  // -- live status ------------------------------------------------------------------------------------

  // A cancellation's status words are "status.*", an edit's "edit_status.*" (data-status-words).
  function showStatus(section, request) {
    var words = section.getAttribute("data-status-words") || "status.";
    var line = section.querySelector("[data-status-text]");
    var message = section.querySelector("[data-status-message]");
    var hint = section.querySelector("[data-status-hint]");
    // Only real changes touch the live region, so screen readers do not repeat an unchanged status.
    if (line.getAttribute("data-status") !== request.status) {
      line.setAttribute("data-status", request.status);
      line.textContent = t(words + request.status);
    }
    if (message.textContent !== (request.message || "")) message.textContent = request.message || "";
    if (FINAL[request.status] && hint) hint.classList.add("ssc-hint--done");
    // What happens to the money once cancelled; a way to reach the shop once it could not be.
    var refund = section.querySelector("[data-refund]");
    var refundWords = refund && refund.getAttribute("data-refund-words");
    if (refundWords) {
      // An edit: what Shopify refunded once applied (none, for a swap), in the shopper's format.
      var money = request.refund;
      refund.hidden = request.status !== "applied" || !money;
      if (money) refund.textContent = refundWords.split("{amount}").join(formatMoney(money.amount, money.currency_code));
    } else if (refund) {
      refund.hidden = request.status !== "cancelled";
    }
    var applied = section.querySelector("[data-applied]");
    if (applied) applied.hidden = request.status !== "applied";
    var contact = section.querySelector("[data-contact]");
    if (contact) contact.hidden = request.status !== "rejected" && request.status !== "failed";
    // A rejected cancellation (the order started shipping) can still be returned: point there.
    var returnsUrl = root.getAttribute("data-returns-url");
    if (request.status === "rejected" && words === "status." && returnsUrl && !section.querySelector("[data-returns]")) {
      var paragraph = document.createElement("p");
      var link = document.createElement("a");
      paragraph.setAttribute("data-returns", "");
      link.className = "ssc-button ssc-button--secondary";
      link.href = returnsUrl;
      link.textContent = t("page.returns_link");
      paragraph.appendChild(link);
      section.appendChild(paragraph);
    }
  }

  function poll(section) {
    var url = section.getAttribute("data-status-url");
    var field = section.getAttribute("data-status-field") || "request";
    var delay = 2000;
    function next() {
      window.setTimeout(function () {
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) {
            if (body && body[field]) {
              showStatus(section, body[field]);
              if (FINAL[body[field].status]) return;
            }
            delay = Math.min(delay * 1.5, 15000);
            next();
          })
          .catch(function () { delay = Math.min(delay * 2, 30000); next(); });
      }, delay);
    }
    next();
  }

  var statusSection = root.querySelector("#ssc-status");
  if (statusSection && statusSection.getAttribute("data-final") !== "true") poll(statusSection);
  root.querySelectorAll("[data-live-status]").forEach(function (section) {
    if (section.getAttribute("data-final") !== "true") poll(section);
  });
  focus(root.querySelector("[data-autofocus]"));

  // -- the two-step cancel form ---------------------------------------------------------------------

  var form = root.querySelector("[data-cancel-form]");
  if (!form) return;
  var review = form.querySelector('[data-step="review"]');
  var confirm = form.querySelector('[data-step="confirm"]');
  var errorLine = form.querySelector("[data-form-error]");

  function chosenReason() {
    var checked = form.querySelector('input[name="reason"]:checked');
    return checked ? { code: checked.value, label: checked.parentNode.textContent.trim() } : null;
  }

  function statusSectionFor(request) {
    var section = document.createElement("section");
    section.className = "ssc-card";
    section.id = "ssc-status";
    section.setAttribute("aria-labelledby", "ssc-status-heading");
    section.setAttribute("data-status-url", form.getAttribute("action"));
    section.innerHTML =
      '<h2 id="ssc-status-heading" tabindex="-1"></h2>' +
      '<div aria-live="polite" aria-atomic="true"><p class="ssc-status-line" data-status-text></p><p data-status-message></p></div>' +
      '<p class="ssc-muted ssc-hint" data-status-hint></p>';
    section.querySelector("h2").textContent = t("page.status.heading");
    section.querySelector("h2").setAttribute("aria-describedby", "ssc-status-now");
    section.querySelector("[data-status-text]").id = "ssc-status-now";
    section.querySelector("[data-status-hint]").textContent = t("page.status.updates");
    // The same lines the server renders in a status (_status.html), shown by showStatus for their statuses.
    var refundText = form.querySelector("[data-confirm-refund]");
    if (refundText) {
      var refund = document.createElement("p");
      refund.setAttribute("data-refund", "");
      refund.hidden = true;
      refund.textContent = refundText.textContent;  // already in the shopper's format
      section.querySelector("[aria-live]").appendChild(refund);
    }
    var contactUrl = root.getAttribute("data-contact-url");
    if (contactUrl) {
      var contact = document.createElement("p");
      var contactLink = document.createElement("a");
      contact.setAttribute("data-contact", "");
      contact.hidden = true;
      contactLink.href = contactUrl;
      contactLink.textContent = t("page.contact_shop");
      contact.appendChild(contactLink);
      section.querySelector("[aria-live]").appendChild(contact);
    }
    return section;
  }

  // The confirmation names the reason that will be sent: the reasons stay open to change in that step too.
  function showChosenReason() {
    var reason = chosenReason();
    var reasonLine = confirm.querySelector("[data-confirm-reason]");
    reasonLine.textContent = reason ? reasonLine.getAttribute("data-template").split("{reason}").join(reason.label) : "";
    return reason;
  }

  form.querySelectorAll('input[name="reason"]').forEach(function (input) {
    input.addEventListener("change", showChosenReason);
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    event.preventDefault();
    errorLine.textContent = "";
    if (!submitter || submitter.name !== "confirm") {
      if (!showChosenReason()) { form.reportValidity(); return; }
      review.hidden = true;
      confirm.hidden = false;
      focus(confirm.querySelector("h3"));
      return;
    }
    submitter.disabled = true;
    errorLine.textContent = t("page.sending");
    var body = {
      reason: chosenReason().code,
      note: form.querySelector('textarea[name="note"]').value,
      csrf_token: form.querySelector('input[name="csrf_token"]').value,
    };
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (result) {
        if (!result.ok) {
          submitter.disabled = false;
          errorLine.textContent = (result.json.error && result.json.error.message) || t("error.internal_error");
          return;
        }
        var card = form.closest(".ssc-card");
        var section = statusSectionFor(result.json.request);
        card.parentNode.replaceChild(section, card);
        focus(section.querySelector("h2"));
        // Filled after insertion, so the live region announces it; the heading also describes it.
        window.setTimeout(function () {
          showStatus(section, result.json.request);
          if (!FINAL[result.json.request.status]) poll(section);
        }, 50);
      })
      .catch(function () {
        submitter.disabled = false;
        errorLine.textContent = t("error.internal_error");
      });
  });

  form.querySelector("[data-keep]").addEventListener("click", function () {
    confirm.hidden = true;
    review.hidden = false;
    focus(review.querySelector("button"));
  });
})();
