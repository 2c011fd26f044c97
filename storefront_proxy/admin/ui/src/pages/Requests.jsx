// Requests: the review queue (cancellations and order edits) as a Polaris index table, with status tabs, search,
// type and date filters, row selection that reveals the bulk actions, pagination, and an empty state. An edit's
// row says what it changes and refunds. It updates itself while any request it shows is still open.
import {
  Badge,
  Card,
  ChoiceList,
  EmptySearchResult,
  IndexFilters,
  IndexTable,
  Link,
  Text,
  TextField,
  useBreakpoints,
  useIndexResourceState,
  useSetIndexFiltersMode,
  BlockStack,
  InlineStack,
  Modal,
} from "@shopify/polaris";
import { useEffect, useRef, useState } from "react";
import { api, query } from "../api.js";
import { toast } from "../bridge.js";
import { AdminPage } from "../components/AdminPage.jsx";
import { ErrorBanner } from "../components/ErrorBanner.jsx";
import { RejectModal } from "../components/RejectModal.jsx";
import { RequestStatusBadge, RequestTypeBadge } from "../components/StatusBadge.jsx";
import { changesSummary } from "../changes.js";
import { useApi, usePolling } from "../hooks.js";
import { formatAgo, formatDateTime, formatMoney, t } from "../i18n.js";
import { reasonLabel, useReasonLabels } from "../reasons.js";
import { BASE, navigate } from "../router.js";

const TABS = ["", "pending_review", "queued", "processing", "cancelled", "applied", "rejected", "failed"];
// Tabs list both kinds of request: a status worded for cancellations only gets a word for both.
const TAB_WORDS = { processing: "requests.tab.processing" };
const TYPES = [
  { value: "", label: "requests.type.all" },
  { value: "cancellation", label: "requests.type.cancellation" },
  { value: "edit", label: "requests.type.edit" },
];
const MOVING = new Set(["queued", "processing"]);
// A request the worker is carrying out changes within seconds; one waiting for review only when someone acts,
// possibly in another tab or by the policy's automatic decision.
const MOVING_POLL_MS = 2000;
const WAITING_POLL_MS = 15000;
const SEARCH_PAUSE_MS = 400;

function requestsUrl(params) {
  return `${BASE}/requests${query(params)}`;
}

export function RequestsPage({ params }) {
  const status = params.status || "";
  const page = Number(params.page || "1") || 1;
  const apiPath = `/requests${query({ status, q: params.q, type: params.type, from: params.from, to: params.to, page })}`;
  const { data, error, loading, reload } = useApi(apiPath);
  const labels = useReasonLabels();
  const [search, setSearch] = useState(params.q || "");
  const { mode, setMode } = useSetIndexFiltersMode();
  const { smDown } = useBreakpoints();
  const [rejecting, setRejecting] = useState(false);
  const [approving, setApproving] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => setSearch(params.q || ""), [params.q]);

  const rows = data ? data.requests : [];
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } = useIndexResourceState(rows);
  useEffect(() => clearSelection(), [apiPath]); // eslint-disable-line react-hooks/exhaustive-deps
  const moving = rows.some((row) => MOVING.has(row.status));
  usePolling(moving || rows.some((row) => row.status === "pending_review"), moving ? MOVING_POLL_MS : WAITING_POLL_MS, reload);

  const go = (changes) => navigate(requestsUrl({ status, q: params.q, type: params.type, from: params.from, to: params.to, ...changes }));

  // The list follows the search box once the merchant pauses typing (with the filters as they are then).
  const latestGo = useRef(go);
  latestGo.current = go;
  useEffect(() => {
    if (search === (params.q || "")) return undefined;
    const timer = window.setTimeout(() => latestGo.current({ q: search || undefined, page: undefined }), SEARCH_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [search, params.q]);

  const tabs = TABS.map((value, index) => ({
    id: `status-${value || "all"}`,
    content: value ? t(TAB_WORDS[value] || `status.${value}`) : t("requests.tab.all"),
    index,
    onAction: () => go({ status: value, page: undefined }),
  }));

  const filters = [
    {
      key: "type",
      label: t("requests.filter.type"),
      filter: (
        <ChoiceList
          title={t("requests.filter.type")}
          titleHidden
          choices={TYPES.map((type) => ({ label: t(type.label), value: type.value }))}
          selected={[params.type || ""]}
          onChange={(value) => go({ type: value[0] || undefined, page: undefined })}
        />
      ),
      shortcut: true,
    },
    {
      key: "date",
      label: t("requests.filter.date"),
      filter: <DateFilter from={params.from} to={params.to} onChange={(from, to) => go({ from, to, page: undefined })} />,
      shortcut: true,
    },
  ];
  const appliedFilters = [];
  const chosenType = TYPES.find((type) => type.value && type.value === params.type);
  if (params.type) {
    appliedFilters.push({
      key: "type",
      label: t("requests.filter.type_applied", { type: chosenType ? t(chosenType.label) : params.type }),
      onRemove: () => go({ type: undefined, page: undefined }),
    });
  }
  if (params.from || params.to) {
    appliedFilters.push({
      key: "date",
      label: t("requests.filter.date_applied", { from: params.from || "…", to: params.to || "…" }),
      onRemove: () => go({ from: undefined, to: undefined }),
    });
  }

  const bulk = async (action, message) => {
    setBusy(true);
    try {
      const result = await api("POST", "/requests/bulk", { action, ids: selectedResources, message });
      const outcomes = Object.values(result.results);
      const done = outcomes.filter((outcome) => outcome === "ok").length;
      const failed = outcomes.length - done;
      toast(t(action === "approve" ? "requests.bulk.approved" : "requests.bulk.rejected", { count: done }));
      if (failed) toast(t("requests.bulk.not_done", { count: failed }), { error: true });
      clearSelection();
      setRejecting(false);
      setApproving(false);
      reload();
    } catch (failure) {
      toast(failure.message, { error: true });
    } finally {
      setBusy(false);
    }
  };

  // The bulk confirmation names what approving does: the cancellations' words unless an edit is among them.
  const editsSelected = rows.some((row) => row.type === "edit" && selectedResources.includes(row.id));
  const approveWords = editsSelected
    ? { title: "requests.bulk.approve_any_title", confirm: "requests.bulk.approve_any_confirm", body: "requests.bulk.approve_any_body" }
    : { title: "requests.bulk.approve_title", confirm: "requests.bulk.approve_confirm", body: "request.approve_body" };

  const rowMarkup = rows.map((item, index) => (
    <IndexTable.Row id={item.id} key={item.id} position={index} selected={selectedResources.includes(item.id)}>
      {smDown ? (
        <IndexTable.Cell>
          <BlockStack gap="100">
            <InlineStack align="space-between" blockAlign="center" gap="200">
              <Link url={`${BASE}/requests/${item.id}`} removeUnderline dataPrimaryLink>
                <Text as="span" fontWeight="semibold">{item.order_name}</Text>
              </Link>
              <RequestStatusBadge status={item.status} type={item.type} />
            </InlineStack>
            <InlineStack gap="200" blockAlign="center">
              <RequestTypeBadge type={item.type} />
              <Text as="span" tone="subdued">{item.type === "edit" ? changesSummary(item.changes) : reasonLabel(labels, item.reason)}</Text>
            </InlineStack>
            {item.type === "edit" && item.refund ? <Text as="span" tone="subdued">{t("requests.refund", { amount: formatMoney(item.refund) })}</Text> : null}
            <InlineStack align="space-between" gap="200">
              <Text as="span" tone="subdued">{formatAgo(item.created_at)}</Text>
              <Text as="span">{formatMoney(item.order_total)}</Text>
            </InlineStack>
            {item.overdue ? <Badge tone="warning">{t("requests.overdue", { count: data.review_target_hours })}</Badge> : null}
          </BlockStack>
        </IndexTable.Cell>
      ) : (
        <>
          <IndexTable.Cell>
            <Link url={`${BASE}/requests/${item.id}`} removeUnderline dataPrimaryLink>
              <Text as="span" fontWeight="semibold">{item.order_name}</Text>
            </Link>
          </IndexTable.Cell>
          <IndexTable.Cell>
            <span title={formatDateTime(item.created_at)}>{formatAgo(item.created_at)}</span>
          </IndexTable.Cell>
          <IndexTable.Cell>{item.customer_email || ""}</IndexTable.Cell>
          <IndexTable.Cell>
            <RequestTypeBadge type={item.type} />
          </IndexTable.Cell>
          <IndexTable.Cell>
            {item.type === "edit" ? <EditSummary item={item} /> : reasonLabel(labels, item.reason)}
          </IndexTable.Cell>
          <IndexTable.Cell>
            <Text as="span" alignment="end" numeric>{formatMoney(item.order_total)}</Text>
          </IndexTable.Cell>
          <IndexTable.Cell>
            <InlineStack gap="100" wrap={false}>
              <RequestStatusBadge status={item.status} type={item.type} />
              {item.overdue ? <Badge tone="warning">{t("requests.overdue", { count: data.review_target_hours })}</Badge> : null}
            </InlineStack>
          </IndexTable.Cell>
        </>
      )}
    </IndexTable.Row>
  ));

  const filtered = Boolean(status || params.q || params.type || params.from || params.to);
  const emptyState = filtered ? (
    <EmptySearchResult title={t("requests.empty_filtered.title")} description={t("requests.empty_filtered.body")} withIllustration />
  ) : (
    <EmptySearchResult title={t("requests.empty.title")} description={t("requests.empty.body")} withIllustration />
  );

  return (
    <AdminPage title={t("requests.title")} fullWidth>
      <BlockStack gap="400">
        <ErrorBanner error={error} />
        <Card padding="0">
          <IndexFilters
            tabs={tabs}
            selected={Math.max(0, TABS.indexOf(status))}
            onSelect={() => {}}
            queryValue={search}
            queryPlaceholder={t("requests.search_placeholder")}
            onQueryChange={setSearch}
            onQueryClear={() => {
              setSearch("");
              go({ q: undefined, page: undefined });
            }}
            filters={filters}
            appliedFilters={appliedFilters}
            onClearAll={() => go({ type: undefined, from: undefined, to: undefined, q: undefined, page: undefined })}
            mode={mode}
            setMode={setMode}
            cancelAction={{ onAction: () => setSearch("") }}
            canCreateNewView={false}
            loading={loading}
          />
          <IndexTable
            condensed={smDown}
            resourceName={{ singular: t("requests.resource.one"), plural: t("requests.resource.other") }}
            itemCount={rows.length}
            selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
            onSelectionChange={handleSelectionChange}
            headings={[
              { title: t("requests.column.order") },
              { title: t("requests.column.requested") },
              { title: t("requests.column.customer") },
              { title: t("requests.column.type") },
              { title: t("requests.column.details") },
              { title: t("requests.column.total"), alignment: "end" },
              { title: t("requests.column.status") },
            ]}
            promotedBulkActions={[
              { content: t("requests.bulk.approve"), onAction: () => setApproving(true), disabled: busy },
              { content: t("requests.bulk.reject"), destructive: true, onAction: () => setRejecting(true), disabled: busy },
            ]}
            emptyState={error && !data ? <div /> : emptyState}
            loading={loading}
            pagination={
              data && data.pages > 1
                ? {
                    hasPrevious: data.page > 1,
                    hasNext: data.page < data.pages,
                    onPrevious: () => go({ q: params.q, page: data.page - 1 }),
                    onNext: () => go({ q: params.q, page: data.page + 1 }),
                    label: t("requests.page_of", { page: data.page, pages: data.pages }),
                  }
                : undefined
            }
          >
            {rowMarkup}
          </IndexTable>
        </Card>
        {data ? (
          <Text as="p" tone="subdued" alignment="center">
            {t("requests.total", { count: data.total })}
          </Text>
        ) : null}
      </BlockStack>
      <Modal
        open={approving}
        onClose={() => setApproving(false)}
        title={t(approveWords.title, { count: selectedResources.length })}
        primaryAction={{ content: t(approveWords.confirm, { count: selectedResources.length }), destructive: true, loading: busy, onAction: () => bulk("approve") }}
        secondaryActions={[{ content: t("action.cancel"), onAction: () => setApproving(false) }]}
      >
        <Modal.Section>
          <Text as="p">{t(approveWords.body)}</Text>
        </Modal.Section>
      </Modal>
      <RejectModal
        open={rejecting}
        count={selectedResources.length}
        busy={busy}
        onClose={() => setRejecting(false)}
        onReject={(message) => bulk("reject", message)}
      />
    </AdminPage>
  );
}

// An edit's changes in a few words, and what it refunds.
function EditSummary({ item }) {
  return (
    <BlockStack gap="050">
      <Text as="span" breakWord>{changesSummary(item.changes)}</Text>
      {item.refund ? (
        <Text as="span" tone="subdued" variant="bodySm">
          {t("requests.refund", { amount: formatMoney(item.refund) })}
        </Text>
      ) : null}
    </BlockStack>
  );
}

function DateFilter({ from, to, onChange }) {
  const [start, setStart] = useState(from || "");
  const [end, setEnd] = useState(to || "");
  useEffect(() => {
    setStart(from || "");
    setEnd(to || "");
  }, [from, to]);
  const apply = (nextStart, nextEnd) => onChange(nextStart || undefined, nextEnd || undefined);
  return (
    <BlockStack gap="200">
      <TextField label={t("range.from")} type="date" value={start} autoComplete="off" onChange={(value) => { setStart(value); apply(value, end); }} />
      <TextField label={t("range.to")} type="date" value={end} autoComplete="off" onChange={(value) => { setEnd(value); apply(start, value); }} />
    </BlockStack>
  );
}
