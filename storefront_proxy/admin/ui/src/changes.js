// An order edit's changes (the API's `changes`) in the merchant's words: in a few words for the list ("Mug 2 → 1 ·
// T-shirt → L · address"), each in a sentence for the request page, and a shipping address as lines.
import { currentLocale, formatNumber, t } from "./i18n.js";

// Shopify names a product's only variant "Default Title"; it says nothing about the item.
function variantOf(title) {
  return title && title !== "Default Title" ? title : null;
}

function itemName(change) {
  const variant = variantOf(change.variant_title);
  return variant ? t("changes.item_variant", { title: change.title, variant }) : change.title;
}

function isRemoval(change) {
  return change.type === "quantity" && change.to_quantity === 0;
}

// The list's summary of an edit: each line change and the address in a word or two.
export function changesSummary(changes) {
  return (changes || [])
    .map((change) => {
      if (change.type === "shipping_address") return t("changes.short.address");
      if (change.type === "variant") {
        return t("changes.short.variant", { title: change.title, variant: variantOf(change.new_variant_title) || change.new_variant_title || "?" });
      }
      if (isRemoval(change)) return t("changes.short.removed", { title: change.title });
      return t("changes.short.quantity", { title: change.title, from: formatNumber(change.from_quantity), to: formatNumber(change.to_quantity) });
    })
    .join(" · ");
}

// One change in a sentence, for the request page ("Lower Mug from 2 to 1", "Swap T-shirt (M) for L").
export function changeWords(change) {
  const from = formatNumber(change.from_quantity);
  const to = formatNumber(change.to_quantity);
  if (change.type === "shipping_address") return t("changes.address");
  if (change.type === "variant") {
    const variant = change.new_variant_title || "?";
    return change.from_quantity === change.to_quantity
      ? t("changes.variant", { item: itemName(change), variant })
      : t("changes.variant_quantity", { item: itemName(change), variant, from, to });
  }
  if (isRemoval(change)) return t("changes.removed", { item: itemName(change), count: change.from_quantity });
  return t("changes.quantity", { item: itemName(change), from, to });
}

function countryName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([currentLocale()], { type: "region" }).of(code.toUpperCase()) || code;
  } catch (error) {
    return code;
  }
}

// A shipping address as the lines of an envelope (name, company, street, postal code and city, region, country,
// phone); empty parts are left out.
export function addressLines(address) {
  if (!address) return [];
  const join = (...parts) => parts.filter(Boolean).join(" ");
  return [
    join(address.first_name, address.last_name),
    address.company,
    address.address1,
    address.address2,
    join(address.zip, address.city),
    address.province_code,
    countryName(address.country_code),
    address.phone,
  ].filter(Boolean);
}
