import { Badge } from "@shopify/polaris";
import { t, tOr } from "../i18n.js";

// The tone says how much a status needs someone (Polaris badge guidance): attention for a decision, critical for
// a failure, success when done.
const REQUEST_TONES = {
  pending_review: "attention",
  queued: "info",
  processing: "info",
  cancelled: "success",
  applied: "success",
  rejected: undefined,
  failed: "critical",
};
const REQUEST_PROGRESS = {
  pending_review: "incomplete",
  queued: "partiallyComplete",
  processing: "partiallyComplete",
  cancelled: "complete",
  applied: "complete",
};
// A status worded for an order edit where the cancellation's words don't fit ("Cancelling in Shopify").
const EDIT_STATUS_WORDS = { processing: "status.edit.processing" };

export function RequestStatusBadge({ status, type }) {
  const edited = type === "edit" ? EDIT_STATUS_WORDS[status] : undefined;
  return (
    <Badge tone={REQUEST_TONES[status]} progress={REQUEST_PROGRESS[status]}>
      {edited ? t(edited) : tOr(`status.${status}`, status)}
    </Badge>
  );
}

// What the shopper asked for: a cancellation or an edit of the order.
export function RequestTypeBadge({ type }) {
  return <Badge>{type === "edit" ? t("type.edit") : t("type.cancellation")}</Badge>;
}

const HOLD_TONES = { placing: "info", held: "attention", released: "success", not_needed: undefined, cancelled: undefined, failed: "critical" };

export function HoldStatusBadge({ status }) {
  return <Badge tone={HOLD_TONES[status]}>{tOr(`hold.status.${status}`, status)}</Badge>;
}

const FINANCIAL_TONES = { PAID: "success", REFUNDED: undefined, PARTIALLY_REFUNDED: "warning", AUTHORIZED: "attention", PENDING: "attention", VOIDED: undefined };

export function FinancialBadge({ status }) {
  if (!status) return null;
  return <Badge tone={FINANCIAL_TONES[status]}>{tOr(`financial.${status}`, status.toLowerCase().replace(/_/g, " "))}</Badge>;
}

export function FulfillmentBadge({ status }) {
  if (!status) return null;
  const tone = status === "FULFILLED" ? "success" : status === "UNFULFILLED" ? "attention" : status === "ON_HOLD" ? "warning" : undefined;
  return <Badge tone={tone}>{tOr(`fulfillment.${status}`, status.toLowerCase().replace(/_/g, " "))}</Badge>;
}

