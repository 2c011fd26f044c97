import { Badge } from "@shopify/polaris";
import { tOr } from "../i18n.js";

// The tone says how much a status needs someone (Polaris badge guidance): attention for a decision, critical for
// a failure, success when done.
const REQUEST_TONES = {
  pending_review: "attention",
  queued: "info",
  processing: "info",
  cancelled: "success",
  rejected: undefined,
  failed: "critical",
};
const REQUEST_PROGRESS = { pending_review: "incomplete", queued: "partiallyComplete", processing: "partiallyComplete", cancelled: "complete" };

export function RequestStatusBadge({ status }) {
  return (
    <Badge tone={REQUEST_TONES[status]} progress={REQUEST_PROGRESS[status]}>
      {tOr(`status.${status}`, status)}
    </Badge>
  );
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

