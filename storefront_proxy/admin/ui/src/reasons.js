// Reasons as the shop words them: the policy's own label in the merchant's language where it has one, the
// admin catalog's for the built-in codes, else the policy's default label, else the code.
import { useEffect, useState } from "react";
import { api } from "./api.js";
import { currentLocale, tOr } from "./i18n.js";

let loaded = null;

export function forgetPolicy() {
  loaded = null;
}

export function shopPolicy() {
  if (!loaded) {
    loaded = api("GET", "/policy").catch((error) => {
      loaded = null;
      throw error;
    });
  }
  return loaded;
}

export function useReasonLabels() {
  const [labels, setLabels] = useState({});
  useEffect(() => {
    let alive = true;
    shopPolicy().then(
      (data) => {
        if (!alive) return;
        const byCode = {};
        data.policy.reasons.forEach((reason) => {
          // The policy's label is the shop's English wording; other languages have their own or the catalog's.
          byCode[reason.code] = currentLocale() === "en" ? reason.label : (reason.labels || {})[currentLocale()] || null;
          byCode[`${reason.code}:default`] = reason.label;
        });
        setLabels(byCode);
      },
      () => {},
    );
    return () => {
      alive = false;
    };
  }, []);
  return labels;
}

export function reasonLabel(labels, code) {
  if (!code) return "";
  return labels[code] || tOr(`reason.${code}`, labels[`${code}:default`] || code.replace(/_/g, " "));
}
