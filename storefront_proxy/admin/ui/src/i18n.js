// The admin's words and formats in the merchant's language. The server embeds the catalog of the language
// Shopify asked for (the `locale` it passes to the embedded app), with English filled in where a key is missing
// (storefront_proxy/admin/pages.py), so the page never waits for it.
let messages = {};
let locale = "en";

export function setLanguage(language, catalog) {
  locale = language;
  messages = catalog;
}

export function currentLocale() {
  return locale;
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// t("requests.total", {count: 2}) looks up "requests.total.one" / ".other" (the language's plural rules).
export function t(key, params = {}) {
  let text = messages[key];
  if (text === undefined && typeof params.count === "number") {
    const form = new Intl.PluralRules(locale).select(params.count);
    text = messages[`${key}.${form}`] ?? messages[`${key}.other`];
  }
  if (text === undefined) return key;
  const shown = { ...params };
  if (typeof params.count === "number") shown.count = formatNumber(params.count);
  return fill(text, shown);
}

// A key the code builds from a code (a status, an event type): the fallback when the catalog has none.
export function tOr(key, fallback, params) {
  return key in messages ? t(key, params) : fallback;
}

export function formatNumber(value, options) {
  return new Intl.NumberFormat(locale, options).format(value);
}

export function formatPercent(share) {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(share);
}

// {amount: "39.90", currency_code: "EUR"} → "€ 39,90" in Dutch, "€39.90" in English. The amount is a decimal
// string; Number() is only for display.
export function formatMoney(money) {
  if (!money || money.amount === undefined || money.amount === null) return "";
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: money.currency_code }).format(Number(money.amount));
  } catch (error) {
    return `${money.amount} ${money.currency_code}`;
  }
}

// Times in the merchant's own time zone (the browser's), with the zone shown so nobody has to guess.
export function formatDateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

export function formatDate(isoOrDay) {
  if (!isoOrDay) return "";
  // A bare YYYY-MM-DD is a calendar day, not a UTC midnight.
  const value = /^\d{4}-\d{2}-\d{2}$/.test(isoOrDay) ? new Date(`${isoOrDay}T00:00:00`) : new Date(isoOrDay);
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(value);
}

export function formatShortDay(day) {
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" }).format(new Date(`${day}T00:00:00`));
}

// "3 hours ago", in the language's own words.
export function formatAgo(iso, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, "minute");
}
