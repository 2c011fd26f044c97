// Holds: the fulfillment holds the app placed during cancel windows, each with one local release time, a link to
// the order in Shopify, and "Release now" (or "Retry" for a failed one) with confirmation; both are audited.
import { BlockStack, Button, Card, EmptySearchResult, IndexTable, Link, Modal, Text, Tabs, useBreakpoints, InlineStack } from "@shopify/polaris";
import { useState } from "react";
import { api, query } from "../api.js";
import { toast } from "../bridge.js";
import { AdminPage } from "../components/AdminPage.jsx";
import { ErrorBanner } from "../components/ErrorBanner.jsx";
import { HoldStatusBadge } from "../components/StatusBadge.jsx";
import { useApi, usePolling } from "../hooks.js";
import { formatDateTime, t, tOr } from "../i18n.js";
import { BASE, navigate } from "../router.js";

const TABS = ["", "held", "placing", "failed", "released"];

function releaseAsked(hold) {
  const last = hold.events[hold.events.length - 1];
  return Boolean(last && last.type === "release_requested");
}

// The hold's latest step in words; the worker's own detail only where the catalog has no words for it.
function lastDetail(hold) {
  if (hold.status === "failed") return hold.last_error || "";
  const last = hold.events[hold.events.length - 1];
  if (!last) return "";
  return tOr(`hold.event.${last.type}`, last.detail || "");
}

export function HoldsPage({ params }) {
  const status = params.status || "";
  const { data, error, reload } = useApi(`/fulfillment-holds${query({ status })}`);
  const [confirming, setConfirming] = useState(null);
  const [busy, setBusy] = useState(false);
  const { smDown } = useBreakpoints();
  const holds = data ? data.holds : [];
  // A hold being placed, or one whose release is due (asked for now, or its window closed), changes shortly.
  const due = (hold) => hold.status === "held" && hold.release_at && Date.parse(hold.release_at) <= Date.now();
  usePolling(holds.some((hold) => hold.status === "placing" || due(hold)), 2000, reload);

  const act = async () => {
    const { hold, action } = confirming;
    setBusy(true);
    try {
      await api("POST", `/fulfillment-holds/${hold.order_id}/${action}`);
      toast(t(action === "release" ? "holds.release_toast" : "holds.retry_toast", { order: hold.order_name || hold.order_id }));
      setConfirming(null);
      reload();
    } catch (failure) {
      toast(failure.message, { error: true });
    } finally {
      setBusy(false);
    }
  };

  // The order goes after the button's words, which a voice user says to press it (WCAG 2.5.3).
  const actionFor = (hold) =>
    hold.status === "held" && !releaseAsked(hold) ? (
      <Button size="slim" onClick={() => setConfirming({ hold, action: "release" })} accessibilityLabel={`${t("holds.release")} (${hold.order_name || hold.order_id})`}>
        {t("holds.release")}
      </Button>
    ) : hold.status === "failed" ? (
      <Button size="slim" onClick={() => setConfirming({ hold, action: "retry" })} accessibilityLabel={`${t("holds.retry")} (${hold.order_name || hold.order_id})`}>
        {t("holds.retry")}
      </Button>
    ) : null;

  const orderLink = (hold) =>
    hold.admin_url ? (
      <Link url={hold.admin_url} target="_top" removeUnderline>
        <Text as="span" fontWeight="semibold">{hold.order_name || hold.order_id}</Text>
      </Link>
    ) : (
      <Text as="span" fontWeight="semibold">{hold.order_name || hold.order_id}</Text>
    );

  const rows = holds.map((hold, index) => (
    <IndexTable.Row id={String(hold.order_id)} key={hold.order_id} position={index}>
      {smDown ? (
        <IndexTable.Cell>
          <BlockStack gap="100">
            <InlineStack align="space-between" blockAlign="center">
              {orderLink(hold)}
              <HoldStatusBadge status={hold.status} />
            </InlineStack>
            {hold.release_at && hold.status === "held" ? <Text as="span" tone="subdued">{t("holds.releases_at", { when: formatDateTime(hold.release_at) })}</Text> : null}
            <Text as="span" tone="subdued" breakWord>{lastDetail(hold)}</Text>
            <InlineStack>{actionFor(hold)}</InlineStack>
          </BlockStack>
        </IndexTable.Cell>
      ) : (
        <>
          <IndexTable.Cell>{orderLink(hold)}</IndexTable.Cell>
          <IndexTable.Cell><HoldStatusBadge status={hold.status} /></IndexTable.Cell>
          <IndexTable.Cell>{hold.release_at && hold.status === "held" ? formatDateTime(hold.release_at) : ""}</IndexTable.Cell>
          <IndexTable.Cell><Text as="span" breakWord>{lastDetail(hold)}</Text></IndexTable.Cell>
          <IndexTable.Cell>{actionFor(hold)}</IndexTable.Cell>
        </>
      )}
    </IndexTable.Row>
  ));

  return (
    <AdminPage title={t("holds.title")} fullWidth>
      <BlockStack gap="400">
        <Text as="p" tone="subdued">{t("holds.intro")}</Text>
        <ErrorBanner error={error} />
        <Card padding="0">
          <Tabs
            tabs={TABS.map((value) => ({ id: `holds-${value || "all"}`, content: value ? t(`hold.status.${value}`) : t("requests.tab.all") }))}
            selected={Math.max(0, TABS.indexOf(status))}
            onSelect={(index) => navigate(`${BASE}/holds${query({ status: TABS[index] })}`)}
          />
          <IndexTable
            condensed={smDown}
            selectable={false}
            resourceName={{ singular: t("holds.resource.one"), plural: t("holds.resource.other") }}
            itemCount={holds.length}
            headings={[
              { title: t("holds.column.order") },
              { title: t("holds.column.status") },
              { title: t("holds.column.release_at") },
              { title: t("holds.column.detail") },
              { title: t("holds.column.action"), hidden: true },
            ]}
            emptyState={<EmptySearchResult title={t("holds.empty.title")} description={t("holds.empty.body")} withIllustration />}
          >
            {rows}
          </IndexTable>
        </Card>
      </BlockStack>
      <Modal
        open={Boolean(confirming)}
        onClose={() => setConfirming(null)}
        title={confirming ? t(confirming.action === "release" ? "holds.release_title" : "holds.retry_title", { order: confirming.hold.order_name || confirming.hold.order_id }) : ""}
        primaryAction={{ content: confirming && confirming.action === "release" ? t("holds.release") : t("holds.retry"), onAction: act, loading: busy }}
        secondaryActions={[{ content: t("action.cancel"), onAction: () => setConfirming(null) }]}
      >
        <Modal.Section>
          <Text as="p">{confirming ? t(confirming.action === "release" ? "holds.release_body" : "holds.retry_body") : ""}</Text>
        </Modal.Section>
      </Modal>
    </AdminPage>
  );
}
