// Insights: the range's numbers large with small labels (cancellations, and order edits with the value they kept), titled charts (Shopify's polaris-viz), the outcomes,
// a date range picker with the usual presets, and the requests of the range as CSV.
import { BlockStack, Box, Button, Card, InlineGrid, InlineStack, Popover, ActionList, SkeletonDisplayText, Text, TextField } from "@shopify/polaris";
import { BarChart } from "@shopify/polaris-viz";
import { useCallback, useState } from "react";
import { api, query } from "../api.js";
import { toast } from "../bridge.js";
import { AdminPage } from "../components/AdminPage.jsx";
import { ErrorBanner } from "../components/ErrorBanner.jsx";
import { TitledCard } from "../components/TitledCard.jsx";
import { RequestStatusBadge } from "../components/StatusBadge.jsx";
import { useApi } from "../hooks.js";
import { formatDate, formatMoney, formatNumber, formatPercent, formatShortDay, t } from "../i18n.js";
import { reasonLabel, useReasonLabels } from "../reasons.js";
import { BASE, navigate } from "../router.js";

const PRESETS = [7, 30, 90];

function day(offset) {
  const date = new Date();
  date.setDate(date.getDate() - offset);
  const pad = (value) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function InsightsPage({ params }) {
  const range = { from: params.from, to: params.to };
  const { data, error, loading } = useApi(`/insights${query(range)}`);
  const labels = useReasonLabels();
  const [downloading, setDownloading] = useState(false);

  const download = async () => {
    setDownloading(true);
    try {
      const response = await api("GET", `/requests.csv${query(data ? { from: data.from, to: data.to } : range)}`);
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "requests.csv";
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (failure) {
      toast(failure.message, { error: true });
    } finally {
      setDownloading(false);
    }
  };

  return (
    <AdminPage title={t("insights.title")}>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center" gap="200">
          <RangePicker from={data ? data.from : params.from} to={data ? data.to : params.to} />
          <Button onClick={download} loading={downloading} disabled={!data}>
            {t("insights.download_csv")}
          </Button>
        </InlineStack>
        <ErrorBanner error={error} />
        {data ? <Figures data={data} labels={labels} /> : loading ? <Card><SkeletonDisplayText size="large" /></Card> : null}
      </BlockStack>
    </AdminPage>
  );
}

function RangePicker({ from, to }) {
  const [open, setOpen] = useState(false);
  const [start, setStart] = useState(from || "");
  const [end, setEnd] = useState(to || "");
  const label = from && to ? t("insights.range_label", { from: formatDate(from), to: formatDate(to) }) : t("insights.range");
  const go = (next) => {
    setOpen(false);
    navigate(`${BASE}/insights${query(next)}`);
  };
  return (
    <Popover
      active={open}
      onClose={() => setOpen(false)}
      activator={
        <Button disclosure onClick={() => { setStart(from || ""); setEnd(to || ""); setOpen(!open); }} accessibilityLabel={t("insights.range_button", { range: label })}>
          {label}
        </Button>
      }
      preferredAlignment="left"
    >
      <ActionList
        items={PRESETS.map((days) => ({ content: t("insights.last_days", { count: days }), onAction: () => go({ from: day(days - 1), to: day(0) }) }))}
      />
      <Box padding="300" borderBlockStartWidth="025" borderColor="border">
        <BlockStack gap="200">
          <TextField label={t("range.from")} type="date" value={start} onChange={setStart} autoComplete="off" />
          <TextField label={t("range.to")} type="date" value={end} onChange={setEnd} autoComplete="off" />
          <Button variant="primary" onClick={() => go({ from: start, to: end })} disabled={!start || !end}>
            {t("insights.apply_range")}
          </Button>
        </BlockStack>
      </Box>
    </Popover>
  );
}

function perDaySummary(data) {
  const total = t("insights.per_day_summary", { requests: formatNumber(data.totals.requests), cancellations: formatNumber(data.totals.cancellations) });
  const days = data.per_day
    .filter((entry) => entry.requests || entry.cancellations)
    .map((entry) => t("insights.per_day_entry", { day: formatDate(entry.date), requests: formatNumber(entry.requests), cancellations: formatNumber(entry.cancellations) }));
  return [total, ...days].join(" ");
}

function Figure({ label, value, help }) {
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="h2" variant="bodySm" tone="subdued">
          {label}
        </Text>
        <Text as="p" variant="heading2xl">
          {value}
        </Text>
        {help ? (
          <Text as="p" variant="bodySm" tone="subdued">
            {help}
          </Text>
        ) : null}
      </BlockStack>
    </Card>
  );
}

// Currency code → decimal string, as money in the merchant's format ("€1,204.50 · $88.00"); 0 when empty.
function moneyByCurrency(values) {
  return Object.entries(values || {}).map(([currency, amount]) => formatMoney({ amount, currency_code: currency })).join(" · ") || formatNumber(0);
}

function Figures({ data, labels }) {
  const value = moneyByCurrency(data.cancelled_value);
  const perDay = [
    { name: t("insights.series.requests"), data: data.per_day.map((entry) => ({ key: formatShortDay(entry.date), value: entry.requests })) },
    { name: t("insights.series.cancellations"), data: data.per_day.map((entry) => ({ key: formatShortDay(entry.date), value: entry.cancellations })) },
  ];
  const reasons = [{ name: t("insights.series.requests"), data: (data.reasons || []).map((reason) => ({ key: reasonLabel(labels, reason.code) || reason.label, value: reason.count })) }];
  return (
    <BlockStack gap="400">
      <InlineGrid columns={{ xs: 2, lg: 4 }} gap="400">
        <Figure label={t("insights.requests")} value={formatNumber(data.totals.requests)} />
        <Figure label={t("insights.cancellations")} value={formatNumber(data.totals.cancellations)} />
        <Figure label={t("insights.cancelled_value")} value={value} />
        <Figure label={t("insights.too_late")} value={formatPercent(data.too_late_share)} />
      </InlineGrid>
      <InlineGrid columns={{ xs: 2, lg: 4 }} gap="400">
        <Figure label={t("insights.edits")} value={formatNumber(data.totals.edits ?? 0)} />
        <Figure label={t("insights.edits_applied")} value={formatNumber(data.totals.edits_applied ?? 0)} />
        <Figure label={t("insights.kept_by_editing")} value={moneyByCurrency(data.kept_by_editing)} help={t("insights.kept_by_editing_help")} />
      </InlineGrid>
      <ChartCard title={t("insights.per_day_title")} summary={perDaySummary(data)}>
        <BarChart data={perDay} showLegend yAxisOptions={{ integersOnly: true }} />
      </ChartCard>
      <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
        <ChartCard title={t("insights.reasons_title")} summary={(data.reasons || []).map((reason) => `${reasonLabel(labels, reason.code) || reason.label}: ${formatNumber(reason.count)}`).join("; ") || t("insights.no_data")}>
          {(data.reasons || []).length ? <BarChart data={reasons} direction="horizontal" showLegend={false} xAxisOptions={{ integersOnly: true }} /> : <Text as="p" tone="subdued">{t("insights.no_data")}</Text>}
        </ChartCard>
        <TitledCard title={t("insights.outcomes_title")}>
          {Object.keys(data.by_outcome).length ? (
            Object.entries(data.by_outcome).map(([status, count]) => (
              <InlineStack key={status} align="space-between">
                <RequestStatusBadge status={status} />
                <Text as="span" variant="headingMd" numeric>
                  {formatNumber(count)}
                </Text>
              </InlineStack>
            ))
          ) : (
            <Text as="p" tone="subdued">{t("insights.no_data")}</Text>
          )}
        </TitledCard>
      </InlineGrid>
    </BlockStack>
  );
}

// A chart with its title, and its numbers in words for those who can't see it. The drawing itself is inert:
// polaris-viz marks its bars up as a list without list items (axe: aria-required-children) and makes each bar a
// tab stop for its tooltip, which would also trap keyboard users in dozens of bars.
function ChartCard({ title, summary, children }) {
  const inert = useCallback((node) => node && node.setAttribute("inert", ""), []);
  return (
    <TitledCard title={title}>
      <Text as="p" visuallyHidden>
        {summary}
      </Text>
      <div ref={inert} style={{ height: 260 }}>
        {children}
      </div>
    </TitledCard>
  );
}
