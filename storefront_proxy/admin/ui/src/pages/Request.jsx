// One request: the order (items, total, payment and fulfillment, a link to it in Shopify), the shopper's reason
// and note (a cancellation) or the changes and refund (an edit, its new shipping address beside the previous one),
// the timeline in words, internal notes, and the actions with confirmation. After an action the page follows the
// request until it settles.
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Card,
  Divider,
  InlineGrid,
  InlineStack,
  Layout,
  Link,
  List,
  Modal,
  SkeletonBodyText,
  Text,
  TextField,
  Button,
} from "@shopify/polaris";
import { useState } from "react";
import { api } from "../api.js";
import { toast } from "../bridge.js";
import { AdminPage } from "../components/AdminPage.jsx";
import { ErrorBanner } from "../components/ErrorBanner.jsx";
import { TitledCard } from "../components/TitledCard.jsx";
import { RejectModal } from "../components/RejectModal.jsx";
import { FinancialBadge, FulfillmentBadge, RequestStatusBadge, RequestTypeBadge } from "../components/StatusBadge.jsx";
import { addressLines, changeWords } from "../changes.js";
import { useApi, usePolling } from "../hooks.js";
import { formatDateTime, formatMoney, t, tOr } from "../i18n.js";
import { reasonLabel, useReasonLabels } from "../reasons.js";
import { BASE } from "../router.js";
import { eventWords } from "../timeline.js";

const SETTLING = new Set(["queued", "processing"]);
// The actions that send the order to Shopify, each confirmed first: a cancellation's, an edit's.
const CONFIRMED_ACTIONS = {
  cancellation: {
    approve: { path: "/approve", title: "request.approve_title", button: "request.approve", body: "request.approve_body", done: "request.approved_toast" },
    retry: { path: "/retry", title: "request.retry_title", button: "request.retry", body: "request.retry_body", done: "request.retried_toast" },
  },
  edit: {
    approve: { path: "/approve", title: "request.edit.approve_title", button: "request.edit.approve", body: "request.edit.approve_body", done: "request.edit.approved_toast" },
    retry: { path: "/retry", title: "request.edit.retry_title", button: "request.retry", body: "request.edit.retry_body", done: "request.edit.retried_toast" },
  },
};
// The rest of the page's words that differ for an edit.
const WORDS = {
  cancellation: { title: "request.title", approve: "request.approve", failed: "request.failed_banner", rejected: "request.rejected_toast" },
  edit: { title: "request.edit.title", approve: "request.edit.approve", failed: "request.edit.failed_banner", rejected: "request.edit.rejected_toast" },
};
const POLL_MS = 1500;

export function RequestPage({ id }) {
  const { data, error, reload, replace } = useApi(`/requests/${encodeURIComponent(id)}`);
  const labels = useReasonLabels();
  const [confirming, setConfirming] = useState(null);
  const [busy, setBusy] = useState(false);
  const item = data && data.request;
  usePolling(Boolean(item && SETTLING.has(item.status)), POLL_MS, reload);

  const back = { label: t("nav.requests"), url: `${BASE}/requests` };
  if (!item) {
    return (
      <AdminPage title={t("request.loading_title")} back={back}>
        {error ? (
          <ErrorBanner error={error} title={error.status === 404 ? t("request.not_found") : undefined} />
        ) : (
          <Card>
            <SkeletonBodyText lines={6} />
          </Card>
        )}
      </AdminPage>
    );
  }

  const act = async (path, body, doneKey) => {
    setBusy(true);
    try {
      const answer = await api("POST", `/requests/${encodeURIComponent(id)}${path}`, body);
      replace(answer);
      toast(t(doneKey, { order: answer.request.order_name }));
      setConfirming(null);
    } catch (failure) {
      toast(failure.message, { error: true });
      reload();
    } finally {
      setBusy(false);
    }
  };

  const kind = item.type === "edit" ? "edit" : "cancellation";
  const words = WORDS[kind];
  const confirmed = CONFIRMED_ACTIONS[kind][confirming];
  const canApprove = item.status === "pending_review";
  const canRetry = item.status === "failed";
  const canReject = ["pending_review", "queued", "failed"].includes(item.status);
  const primaryAction = canApprove
    ? { content: t(words.approve), onAction: () => setConfirming("approve"), disabled: busy }
    : canRetry
      ? { content: t("request.retry"), onAction: () => setConfirming("retry"), disabled: busy }
      : undefined;
  const secondaryActions = canReject ? [{ content: t("request.reject"), destructive: true, onAction: () => setConfirming("reject"), disabled: busy }] : [];

  return (
    <AdminPage
      title={t(words.title, { order: item.order_name })}
      back={back}
      primaryAction={primaryAction}
      secondaryActions={secondaryActions}
    >
      <BlockStack gap="400">
        <InlineStack gap="200" blockAlign="center">
          <RequestTypeBadge type={item.type} />
          <RequestStatusBadge status={item.status} type={item.type} />
          <Text as="span" tone="subdued">
            {t("request.requested_at", { when: formatDateTime(item.created_at) })}
          </Text>
        </InlineStack>
        <ErrorBanner error={error} title={t("error.refresh")} />
        {item.status === "failed" && item.last_error ? (
          <Banner tone="critical" title={t(words.failed)}>
            <p>{item.last_error}</p>
          </Banner>
        ) : null}
        <Layout>
          <Layout.Section>
            <BlockStack gap="400">
              <OrderCard order={item.order} orderError={item.order_error} name={item.order_name} />
              {kind === "edit" ? (
                <ChangesCard item={item} />
              ) : (
                <TitledCard title={t("request.shopper_heading")} gap="200">
                  <Fact label={t("request.reason")} value={reasonLabel(labels, item.reason)} />
                  <Fact label={t("request.note")} value={item.note || t("request.no_note")} />
                  {item.message ? <Fact label={t("request.message")} value={item.message} /> : null}
                </TitledCard>
              )}
              <Timeline events={item.timeline} kind={kind} />
            </BlockStack>
          </Layout.Section>
          <Layout.Section variant="oneThird">
            <BlockStack gap="400">
              <TitledCard title={t("request.customer_heading")} gap="200">
                <Text as="p">{item.customer_email || t("request.no_email")}</Text>
              </TitledCard>
              <Notes item={item} onAdded={replace} />
            </BlockStack>
          </Layout.Section>
        </Layout>
      </BlockStack>

      <Modal
        open={Boolean(confirmed)}
        onClose={() => setConfirming(null)}
        title={confirmed ? t(confirmed.title, { order: item.order_name }) : ""}
        primaryAction={{
          content: confirmed ? t(confirmed.button) : "",
          destructive: true,
          loading: busy,
          onAction: () => act(confirmed.path, undefined, confirmed.done),
        }}
        secondaryActions={[{ content: t("action.cancel"), onAction: () => setConfirming(null) }]}
      >
        <Modal.Section>
          <Text as="p">{confirmed ? t(confirmed.body) : ""}</Text>
        </Modal.Section>
      </Modal>
      <RejectModal
        open={confirming === "reject"}
        busy={busy}
        onClose={() => setConfirming(null)}
        onReject={(message) => act("/reject", { message }, words.rejected)}
      />
    </AdminPage>
  );
}

function Fact({ label, value }) {
  return (
    <InlineGrid columns={{ xs: 1, sm: "1fr 2fr" }} gap="100">
      <Text as="span" tone="subdued">
        {label}
      </Text>
      <Text as="span" breakWord>
        {value}
      </Text>
    </InlineGrid>
  );
}

// An edit: each change in words, the new shipping address beside the previous one, the refund, and what the
// shopper was told.
function ChangesCard({ item }) {
  const changes = item.changes || [];
  const lines = changes.filter((change) => change.type !== "shipping_address");
  const address = changes.find((change) => change.type === "shipping_address");
  return (
    <TitledCard title={t("request.changes_heading")}>
      {lines.length ? (
        <List type="bullet">
          {lines.map((change, index) => (
            <List.Item key={index}>
              <Text as="span" breakWord>
                {changeWords(change)}
              </Text>
            </List.Item>
          ))}
        </List>
      ) : null}
      {address ? (
        <BlockStack gap="200">
          <Text as="p">{changeWords(address)}</Text>
          <InlineGrid columns={{ xs: 1, sm: 2 }} gap="400">
            <Address title={t("request.new_address")} address={address.shipping_address} />
            <Address title={t("request.previous_address")} address={item.previous_address} tone="subdued" />
          </InlineGrid>
        </BlockStack>
      ) : null}
      <Divider />
      <Fact label={t("request.refund")} value={item.refund ? formatMoney(item.refund) : t("request.no_refund")} />
      {item.note ? <Fact label={t("request.note")} value={item.note} /> : null}
      {item.message ? <Fact label={t("request.message")} value={item.message} /> : null}
    </TitledCard>
  );
}

function Address({ title, address, tone }) {
  const lines = addressLines(address);
  return (
    <Box padding="300" borderWidth="025" borderColor="border" borderRadius="200">
      <BlockStack gap="100">
        <Text as="h3" variant="headingSm">
          {title}
        </Text>
        {lines.length ? (
          lines.map((line, index) => (
            <Text as="p" key={index} tone={tone} breakWord>
              {line}
            </Text>
          ))
        ) : (
          <Text as="p" tone="subdued">
            {t("request.no_address")}
          </Text>
        )}
      </BlockStack>
    </Box>
  );
}

function OrderCard({ order, orderError, name }) {
  if (!order) {
    return (
      <TitledCard title={t("request.order_heading", { order: name })} gap="200">
        <Banner tone="warning">
          <p>{t(orderError === "order_not_found" ? "request.order_not_found" : "request.order_unavailable")}</p>
        </Banner>
      </TitledCard>
    );
  }
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center" gap="200">
          <Text as="h2" variant="headingMd">
            {t("request.order_heading", { order: order.name })}
          </Text>
          <InlineStack gap="100">
            <FinancialBadge status={order.financial_status} />
            <FulfillmentBadge status={order.fulfillment_status} />
            {order.cancelled_at ? <Badge>{t("request.order_cancelled")}</Badge> : null}
          </InlineStack>
        </InlineStack>
        <Text as="p" tone="subdued">
          {t("request.ordered_at", { when: formatDateTime(order.created_at) })}
        </Text>
        <BlockStack gap="100">
          {order.line_items.map((line, index) => (
            <InlineStack key={index} align="space-between" gap="200" wrap={false}>
              <Text as="span" breakWord>
                {line.name}
              </Text>
              <Text as="span" numeric>
                × {line.quantity}
              </Text>
            </InlineStack>
          ))}
        </BlockStack>
        <Divider />
        <InlineStack align="space-between">
          <Text as="span" fontWeight="semibold">
            {t("request.total")}
          </Text>
          <Text as="span" fontWeight="semibold" numeric>
            {formatMoney(order.total)}
          </Text>
        </InlineStack>
        <Box>
          <Link url={order.admin_url} target="_top">
            {t("request.view_in_shopify")}
          </Link>
        </Box>
      </BlockStack>
    </Card>
  );
}

function Timeline({ events, kind }) {
  return (
    <TitledCard title={t("request.timeline_heading")}>
      <ol style={{ listStyle: "none", margin: 0, padding: 0, display: "grid", gap: "12px" }}>
        {[...events].reverse().map((event, index) => (
          <li key={index} style={{ borderInlineStart: "2px solid var(--p-color-border)", paddingInlineStart: "12px" }}>
            <Text as="p">{eventWords(event, kind)}</Text>
            <Text as="p" tone="subdued" variant="bodySm">
              {formatDateTime(event.at)}
            </Text>
          </li>
        ))}
      </ol>
    </TitledCard>
  );
}

function Notes({ item, onAdded }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const add = async () => {
    if (!text.trim()) {
      setError(t("notes.required"));
      return;
    }
    setBusy(true);
    try {
      onAdded(await api("POST", `/requests/${encodeURIComponent(item.id)}/notes`, { text }));
      setText("");
      toast(t("notes.added_toast"));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <TitledCard title={t("notes.heading")}>
      {item.notes.length ? (
        <List type="bullet">
          {item.notes.map((note, index) => (
            <List.Item key={index}>
              <Text as="span" fontWeight="semibold">
                {note.author_name || tOr("actor.staff_unknown", note.author)}
              </Text>{" "}
              <Text as="span" tone="subdued">
                {formatDateTime(note.at)}
              </Text>
              <Text as="p" breakWord>
                {note.text}
              </Text>
            </List.Item>
          ))}
        </List>
      ) : (
        <Text as="p" tone="subdued">
          {t("notes.none")}
        </Text>
      )}
      <TextField
        label={t("notes.label")}
        helpText={t("notes.help")}
        value={text}
        onChange={(value) => {
          setText(value);
          setError(null);
        }}
        multiline={2}
        maxLength={2000}
        autoComplete="off"
        error={error}
      />
      <InlineStack align="end">
        <Button onClick={add} loading={busy}>
          {t("notes.add")}
        </Button>
      </InlineStack>
    </TitledCard>
  );
}
