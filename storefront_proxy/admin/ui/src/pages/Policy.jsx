// Policy: what shoppers may cancel or edit and how it is carried out, in grouped sections with help text. Fields appear
// only where they apply; errors are in plain words next to the field, with a summary on top; App Bridge's
// contextual save bar saves or discards; turning the fulfillment hold off warns that held orders ship.
import {
  Banner,
  BlockStack,
  Box,
  Card,
  Checkbox,
  ChoiceList,
  Collapsible,
  Button,
  FormLayout,
  InlineStack,
  Layout,
  Link,
  List,
  Modal,
  PageActions,
  Select,
  SkeletonBodyText,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { hideSaveBar, showSaveBar, toast } from "../bridge.js";
import { AdminPage } from "../components/AdminPage.jsx";
import { ErrorBanner } from "../components/ErrorBanner.jsx";
import { useApi } from "../hooks.js";
import { formatNumber, t, tOr } from "../i18n.js";
import { forgetPolicy } from "../reasons.js";

const SAVE_BAR = "policy-save-bar";
const FINANCIAL_STATUSES = ["AUTHORIZED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING"];
const LANGUAGE_NAMES = (language) => {
  try {
    return new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" }).of(language);
  } catch (error) {
    return language.toUpperCase();
  }
};

// The edit window as one choice: "same" (the policy's null: the cancel window's mode and minutes), "minutes" or
// "until_fulfillment". Minutes of its own under the cancel window's mode are minutes when that mode is minutes,
// and count for nothing otherwise.
function editWindowChoice(policy) {
  if (policy.edit_window_mode) return policy.edit_window_mode;
  return policy.edit_window_minutes != null && policy.window_mode === "minutes" ? "minutes" : "same";
}

// The form's values as the inputs hold them (text for numbers, so a half-typed value stays as typed).
function toForm(policy) {
  const known = FINANCIAL_STATUSES.filter((status) => policy.allowed_financial_statuses.includes(status));
  return {
    ...policy,
    // In one order, so ticking a status off and on again leaves the form unchanged.
    allowed_financial_statuses: [...policy.allowed_financial_statuses.filter((status) => !FINANCIAL_STATUSES.includes(status)), ...known],
    cancel_window_minutes: String(policy.cancel_window_minutes ?? ""),
    edit_window_mode: editWindowChoice(policy),
    edit_window_minutes: policy.edit_window_minutes == null ? "" : String(policy.edit_window_minutes),
    review_threshold: policy.review_threshold ?? "",
    auto_review_after_hours: policy.auto_review_after_hours == null ? "" : String(policy.auto_review_after_hours),
    review_target_hours: String(policy.review_target_hours ?? ""),
    excluded_order_tags: policy.excluded_order_tags.join(", "),
    excluded_product_tags: policy.excluded_product_tags.join(", "),
    cancelled_order_tag: policy.cancelled_order_tag || "",
    auto_reject_message: policy.auto_reject_message || "",
    returns_url: policy.returns_url || "",
    contact_url: policy.contact_url || "",
  };
}

function tags(text) {
  return text.split(",").map((tag) => tag.trim()).filter(Boolean);
}

function number(text) {
  const trimmed = String(text).trim();
  // The API says what is wrong with a value that is not a whole number; an empty one is "missing".
  return trimmed === "" ? null : /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

// What the API expects, from the form (reasons carry the default ones the merchant has not offered as `offered`).
function fromForm(form, reasonRows) {
  return {
    ...form,
    // The hold needs a window in minutes; the checkbox is hidden otherwise, and the API refuses the pair.
    hold_fulfillment: form.window_mode === "minutes" && form.hold_fulfillment,
    cancel_window_minutes: number(form.cancel_window_minutes),
    // "Same as the cancel window" is null for both; minutes left empty are the cancel window's.
    edit_window_mode: form.edit_window_mode === "same" ? null : form.edit_window_mode,
    edit_window_minutes: form.edit_window_mode === "minutes" ? number(form.edit_window_minutes) : null,
    review_threshold: form.review_threshold.trim() === "" ? null : form.review_threshold.trim(),
    auto_review_after_hours: number(form.auto_review_after_hours),
    review_target_hours: number(form.review_target_hours),
    excluded_order_tags: tags(form.excluded_order_tags),
    excluded_product_tags: tags(form.excluded_product_tags),
    cancelled_order_tag: form.cancelled_order_tag.trim() || null,
    auto_reject_message: form.auto_reject_message.trim() || null,
    returns_url: form.returns_url.trim() || null,
    contact_url: form.contact_url.trim() || null,
    reasons: reasonRows
      .filter((row) => row.offered)
      .map((row) => ({ code: row.code, label: row.label.trim(), labels: Object.fromEntries(Object.entries(row.labels).filter(([, text]) => text.trim())) })),
  };
}

function reasonRowsOf(policy, defaults) {
  const rows = policy.reasons.map((reason) => ({ code: reason.code, label: reason.label, labels: { ...(reason.labels || {}) }, offered: true }));
  defaults.forEach((reason) => {
    if (!rows.some((row) => row.code === reason.code)) rows.push({ code: reason.code, label: reason.label, labels: {}, offered: false });
  });
  return rows;
}

// A field's error in the merchant's language: the API's error type where the catalog words it, else its message.
function fieldError(error, name) {
  if (!error) return undefined;
  const coded = error.fieldErrors[name];
  if (coded && coded.type) {
    const words = tOr(`field_error.${coded.type}`, null, { limit: coded.limit == null ? "" : formatNumber(Number(coded.limit)) || coded.limit });
    if (words) return words;
  }
  return error.fields[name];
}

export function PolicyPage() {
  const { data, error: loadError } = useApi("/policy");
  const [saved, setSaved] = useState(null);
  const [form, setForm] = useState(null);
  const [reasonRows, setReasonRows] = useState([]);
  const [savedReasons, setSavedReasons] = useState([]);
  const [saveError, setSaveError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [confirmHoldOff, setConfirmHoldOff] = useState(null);

  useEffect(() => {
    if (!data) return;
    setSaved(data.policy);
    setForm(toForm(data.policy));
    const rows = reasonRowsOf(data.policy, data.default_reasons);
    setReasonRows(rows);
    setSavedReasons(rows);
  }, [data]);

  const dirty = useMemo(() => {
    if (!form || !saved) return false;
    return JSON.stringify(form) !== JSON.stringify(toForm(saved)) || JSON.stringify(reasonRows) !== JSON.stringify(savedReasons);
  }, [form, saved, reasonRows, savedReasons]);

  useEffect(() => {
    if (dirty) showSaveBar(SAVE_BAR);
    else hideSaveBar(SAVE_BAR);
  }, [dirty]);
  useEffect(() => () => hideSaveBar(SAVE_BAR), []);

  if (!form) {
    return (
      <AdminPage title={t("policy.title")}>
        {loadError ? (
          <ErrorBanner error={loadError} />
        ) : (
          <Card>
            <SkeletonBodyText lines={8} />
          </Card>
        )}
      </AdminPage>
    );
  }

  const set = (name) => (value) => setForm((before) => ({ ...before, [name]: value }));
  const err = (name) => fieldError(saveError, name);

  const discard = () => {
    setForm(toForm(saved));
    setReasonRows(savedReasons);
    setSaveError(null);
  };

  const save = async ({ holdConfirmed = false } = {}) => {
    // Held orders are released as soon as the policy no longer holds: holds turned off, the window no longer in
    // minutes, or self-service turned off (storefront_proxy/holds/rules.py hold_wanted).
    const holds = (policy) => policy.enabled && policy.hold_fulfillment && policy.window_mode === "minutes";
    if (holds(saved) && !holds(form) && !holdConfirmed) {
      let held = 0;
      try {
        held = (await api("GET", "/fulfillment-holds?status=held")).holds.length;
      } catch (error) {
        held = 0;
      }
      setConfirmHoldOff({ held });
      return;
    }
    setConfirmHoldOff(null);
    setSaving(true);
    try {
      const answer = await api("PUT", "/policy", { policy: fromForm(form, reasonRows) });
      forgetPolicy();
      const rows = reasonRowsOf(answer.policy, data.default_reasons);
      setSaved(answer.policy);
      setForm(toForm(answer.policy));
      setReasonRows(rows);
      setSavedReasons(rows);
      setSaveError(null);
      toast(t("policy.saved_toast"));
    } catch (failure) {
      setSaveError(failure);
      if (!Object.keys(failure.fields).length) toast(failure.message, { error: true });
      window.scrollTo(0, 0);
    } finally {
      setSaving(false);
    }
  };

  const errorNames = saveError ? Object.keys(saveError.fields) : [];
  const minutes = form.window_mode === "minutes";
  const reviewing = form.review_mode !== "automatic";
  const autoReview = reviewing && form.auto_review_after_hours.trim() !== "";
  const cancelMinutes = number(form.cancel_window_minutes);
  const sameWindowHelp = !minutes
    ? t("policy.edit_window_mode.same_until_fulfillment")
    : typeof cancelMinutes === "number"
      ? t("policy.edit_window_mode.same_minutes", { count: cancelMinutes })
      : undefined;
  const editKinds = form.edit_quantities || form.edit_variants || form.edit_shipping_address;

  return (
    <AdminPage title={t("policy.title")}>
      <ui-save-bar id={SAVE_BAR}>
        <button variant="primary" id="policy-save-bar-save" onClick={() => save()} disabled={saving}>
          {t("action.save")}
        </button>
        <button id="policy-save-bar-discard" onClick={discard}>
          {t("action.discard")}
        </button>
      </ui-save-bar>
      <BlockStack gap="500">
        {errorNames.length ? (
          <Banner tone="critical" title={t("policy.errors_title", { count: errorNames.length })}>
            <List>
              {errorNames.map((name) => (
                <List.Item key={name}>
                  <Link
                    url={`#${fieldId(name)}`}
                    onClick={(event) => {
                      event.preventDefault();
                      focusField(name);
                    }}
                  >
                    {fieldTitle(name)}
                  </Link>
                  {": "}
                  {err(name)}
                </List.Item>
              ))}
            </List>
          </Banner>
        ) : null}
        <Layout>
          <Section title={t("policy.section.who")} description={t("policy.section.who_help")}>
            <Checkbox id={fieldId("enabled")} label={t("policy.enabled")} helpText={t("policy.enabled_help")} checked={form.enabled} onChange={set("enabled")} error={err("enabled")} />
            <ChoiceList
              title={t("policy.window_mode")}
              choices={[
                { label: t("policy.window_mode.minutes"), value: "minutes" },
                { label: t("policy.window_mode.until_fulfillment"), value: "until_fulfillment", helpText: t("policy.window_mode.until_fulfillment_help") },
              ]}
              selected={[form.window_mode]}
              onChange={(value) => set("window_mode")(value[0])}
              error={err("window_mode")}
            />
            {minutes ? (
              <TextField
                id={fieldId("cancel_window_minutes")}
                label={t("policy.cancel_window_minutes")}
                type="number"
                min={1}
                suffix={t("unit.minutes")}
                helpText={t("policy.cancel_window_minutes_help")}
                value={form.cancel_window_minutes}
                onChange={set("cancel_window_minutes")}
                error={err("cancel_window_minutes")}
                autoComplete="off"
              />
            ) : null}
            <ChoiceList
              allowMultiple
              title={t("policy.allowed_financial_statuses")}
              choices={FINANCIAL_STATUSES.map((status) => ({ label: t(`financial.${status}`), value: status }))}
              selected={form.allowed_financial_statuses}
              onChange={(value) =>
                // Statuses set outside this page (the command line) are kept.
                set("allowed_financial_statuses")([
                  ...form.allowed_financial_statuses.filter((status) => !FINANCIAL_STATUSES.includes(status)),
                  ...FINANCIAL_STATUSES.filter((status) => value.includes(status)),
                ])
              }
              error={err("allowed_financial_statuses")}
            />
            <TextField id={fieldId("excluded_order_tags")} label={t("policy.excluded_order_tags")} helpText={t("policy.tags_help")} value={form.excluded_order_tags} onChange={set("excluded_order_tags")} error={err("excluded_order_tags")} autoComplete="off" />
            <TextField id={fieldId("excluded_product_tags")} label={t("policy.excluded_product_tags")} helpText={t("policy.tags_help")} value={form.excluded_product_tags} onChange={set("excluded_product_tags")} error={err("excluded_product_tags")} autoComplete="off" />
          </Section>

          <Section title={t("policy.section.hold")} description={t("policy.section.hold_help")}>
            {minutes ? (
              <Checkbox id={fieldId("hold_fulfillment")} label={t("policy.hold_fulfillment")} helpText={t("policy.hold_fulfillment_help")} checked={form.hold_fulfillment} onChange={set("hold_fulfillment")} error={err("hold_fulfillment")} />
            ) : (
              <Text as="p" tone="subdued">{t("policy.hold_needs_minutes")}</Text>
            )}
          </Section>

          <Section title={t("policy.section.refunds")} description={t("policy.section.refunds_help")}>
            <Select
              id={fieldId("refund_method")}
              label={t("policy.refund_method")}
              options={["original_payment", "store_credit", "none"].map((value) => ({ label: t(`policy.refund_method.${value}`), value }))}
              value={form.refund_method}
              onChange={set("refund_method")}
              error={err("refund_method")}
            />
            <Checkbox id={fieldId("restock")} label={t("policy.restock")} checked={form.restock} onChange={set("restock")} error={err("restock")} />
            <Checkbox id={fieldId("notify_customer")} label={t("policy.notify_customer")} helpText={t("policy.notify_customer_help")} checked={form.notify_customer} onChange={set("notify_customer")} error={err("notify_customer")} />
            <TextField id={fieldId("cancelled_order_tag")} label={t("policy.cancelled_order_tag")} helpText={t("policy.cancelled_order_tag_help")} value={form.cancelled_order_tag} onChange={set("cancelled_order_tag")} error={err("cancelled_order_tag")} autoComplete="off" />
          </Section>

          <Section title={t("policy.section.edit")} description={t("policy.section.edit_help")}>
            {!form.enabled ? <Banner tone="info">{t("policy.edit_needs_enabled")}</Banner> : null}
            <Checkbox id={fieldId("edit_enabled")} label={t("policy.edit_enabled")} helpText={t("policy.edit_enabled_help")} checked={form.edit_enabled} onChange={set("edit_enabled")} error={err("edit_enabled")} />
            {form.edit_enabled ? (
              <>
                <ChoiceList
                  title={t("policy.edit_window_mode")}
                  choices={[
                    { label: t("policy.edit_window_mode.same"), value: "same", helpText: sameWindowHelp },
                    { label: t("policy.window_mode.minutes"), value: "minutes" },
                    { label: t("policy.window_mode.until_fulfillment"), value: "until_fulfillment", helpText: t("policy.edit_window_mode.until_fulfillment_help") },
                  ]}
                  selected={[form.edit_window_mode]}
                  onChange={(value) => set("edit_window_mode")(value[0])}
                  error={err("edit_window_mode")}
                />
                {form.edit_window_mode === "minutes" ? (
                  <TextField
                    id={fieldId("edit_window_minutes")}
                    label={t("policy.edit_window_minutes")}
                    type="number"
                    min={1}
                    suffix={t("unit.minutes")}
                    placeholder={typeof cancelMinutes === "number" ? String(cancelMinutes) : undefined}
                    helpText={t("policy.edit_window_minutes_help")}
                    value={form.edit_window_minutes}
                    onChange={set("edit_window_minutes")}
                    error={err("edit_window_minutes")}
                    autoComplete="off"
                  />
                ) : null}
                <fieldset style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }}>
                  <Box as="legend" paddingBlockEnd="200">
                    <Text as="span">{t("policy.edit_kinds")}</Text>
                  </Box>
                  <BlockStack gap="200">
                    <Checkbox id={fieldId("edit_quantities")} label={t("policy.edit_quantities")} helpText={t("policy.edit_quantities_help")} checked={form.edit_quantities} onChange={set("edit_quantities")} error={err("edit_quantities")} />
                    <Checkbox id={fieldId("edit_variants")} label={t("policy.edit_variants")} helpText={t("policy.edit_variants_help")} checked={form.edit_variants} onChange={set("edit_variants")} error={err("edit_variants")} />
                    <Checkbox id={fieldId("edit_shipping_address")} label={t("policy.edit_shipping_address")} helpText={t("policy.edit_shipping_address_help")} checked={form.edit_shipping_address} onChange={set("edit_shipping_address")} error={err("edit_shipping_address")} />
                    {form.edit_shipping_address ? (
                      <Box paddingInlineStart="600">
                        <Checkbox id={fieldId("edit_address_same_country")} label={t("policy.edit_address_same_country")} helpText={t("policy.edit_address_same_country_help")} checked={form.edit_address_same_country} onChange={set("edit_address_same_country")} error={err("edit_address_same_country")} />
                      </Box>
                    ) : null}
                    {!editKinds ? <Text as="p" tone="caution">{t("policy.edit_kinds_none")}</Text> : null}
                  </BlockStack>
                </fieldset>
              </>
            ) : null}
          </Section>

          <Section title={t("policy.section.review")} description={t("policy.section.review_help")}>
            <ChoiceList
              title={t("policy.review_mode")}
              choices={["automatic", "manual", "manual_above_total"].map((value) => ({ label: t(`policy.review_mode.${value}`), value, helpText: t(`policy.review_mode.${value}_help`) }))}
              selected={[form.review_mode]}
              onChange={(value) => set("review_mode")(value[0])}
              error={err("review_mode")}
            />
            {form.review_mode === "manual_above_total" ? (
              <TextField id={fieldId("review_threshold")} label={t("policy.review_threshold")} helpText={t("policy.review_threshold_help")} type="number" min={0} step={0.01} value={form.review_threshold} onChange={set("review_threshold")} error={err("review_threshold")} autoComplete="off" />
            ) : null}
            {reviewing ? (
              <>
                <TextField id={fieldId("review_target_hours")} label={t("policy.review_target_hours")} helpText={t("policy.review_target_hours_help")} type="number" min={1} suffix={t("unit.hours")} value={form.review_target_hours} onChange={set("review_target_hours")} error={err("review_target_hours")} autoComplete="off" />
                <TextField id={fieldId("auto_review_after_hours")} label={t("policy.auto_review_after_hours")} helpText={t("policy.auto_review_after_hours_help")} type="number" min={1} suffix={t("unit.hours")} value={form.auto_review_after_hours} onChange={set("auto_review_after_hours")} error={err("auto_review_after_hours")} autoComplete="off" />
              </>
            ) : null}
            {autoReview ? (
              <Select
                id={fieldId("auto_review_action")}
                label={t("policy.auto_review_action")}
                options={["approve", "reject"].map((value) => ({ label: t(`policy.auto_review_action.${value}`), value }))}
                value={form.auto_review_action}
                onChange={set("auto_review_action")}
                error={err("auto_review_action")}
              />
            ) : null}
            {autoReview && form.auto_review_action === "reject" ? (
              <TextField id={fieldId("auto_reject_message")} label={t("policy.auto_reject_message")} helpText={t("policy.auto_reject_message_help")} multiline={2} maxLength={500} showCharacterCount value={form.auto_reject_message} onChange={set("auto_reject_message")} error={err("auto_reject_message")} autoComplete="off" />
            ) : null}
          </Section>

          <Section title={t("policy.section.reasons")} description={t("policy.section.reasons_help")}>
            {err("reasons") ? <Text as="p" tone="critical">{err("reasons")}</Text> : null}
            <ReasonsEditor rows={reasonRows} onChange={setReasonRows} languages={data.languages} error={saveError} />
          </Section>

          <Section title={t("policy.section.links")} description={t("policy.section.links_help")}>
            <TextField id={fieldId("returns_url")} label={t("policy.returns_url")} helpText={t("policy.returns_url_help")} value={form.returns_url} onChange={set("returns_url")} error={err("returns_url")} autoComplete="off" />
            <TextField id={fieldId("contact_url")} label={t("policy.contact_url")} helpText={t("policy.contact_url_help")} value={form.contact_url} onChange={set("contact_url")} error={err("contact_url")} autoComplete="off" />
          </Section>
        </Layout>
        <PageActions
          primaryAction={{ content: t("action.save"), onAction: () => save(), loading: saving, disabled: !dirty }}
          secondaryActions={[{ content: t("action.discard"), onAction: discard, disabled: !dirty }]}
        />
      </BlockStack>
      <Modal
        open={Boolean(confirmHoldOff)}
        onClose={() => setConfirmHoldOff(null)}
        title={t("policy.hold_off.title")}
        primaryAction={{ content: t("policy.hold_off.confirm"), destructive: true, onAction: () => save({ holdConfirmed: true }), loading: saving }}
        secondaryActions={[{ content: t("action.cancel"), onAction: () => setConfirmHoldOff(null) }]}
      >
        <Modal.Section>
          <Text as="p">{confirmHoldOff ? t("policy.hold_off.body", { count: confirmHoldOff.held }) : ""}</Text>
        </Modal.Section>
      </Modal>
    </AdminPage>
  );
}

function Section({ title, description, children }) {
  return (
    <Layout.AnnotatedSection title={title} description={description}>
      <Card>
        <FormLayout>{children}</FormLayout>
      </Card>
    </Layout.AnnotatedSection>
  );
}

function fieldId(name) {
  const [field, index] = name.split(".");
  // A reason's errors name its place among the offered ones; its inputs are named by code.
  if (field === "reasons" && index !== undefined) {
    const inputs = document.querySelectorAll('input[id^="reason-"][id$="-label"]');
    return inputs[Number(index)] ? inputs[Number(index)].id : "policy-reasons";
  }
  return `policy-${field}`;
}

function fieldTitle(name) {
  const [field, index, part] = name.split(".");
  if (field === "reasons" && index !== undefined) return t("policy.reason_n", { n: Number(index) + 1 }) + (part ? ` (${part})` : "");
  return tOr(`policy.${field}`, field.replace(/_/g, " "));
}

function focusField(name) {
  const node = document.getElementById(fieldId(name));
  if (node) node.focus();
}

function ReasonsEditor({ rows, onChange, languages, error }) {
  const [open, setOpen] = useState({});
  const others = languages.filter((language) => language !== "en");
  const change = (index, changes) => onChange(rows.map((row, at) => (at === index ? { ...row, ...changes } : row)));
  let offeredIndex = -1;
  return (
    <BlockStack gap="400">
      {rows.map((row, index) => {
        if (row.offered) offeredIndex += 1;
        const labelError = row.offered ? fieldError(error, `reasons.${offeredIndex}.label`) : undefined;
        return (
          <Box key={row.code} paddingBlockEnd="300" borderBlockEndWidth="025" borderColor="border-secondary">
            <BlockStack gap="200">
              <Checkbox id={`reason-${row.code}-offered`} label={t("policy.reason_offered", { reason: tOr(`reason.${row.code}`, row.label) })} checked={row.offered} onChange={(offered) => change(index, { offered })} />
              {row.offered ? (
                <>
                  <TextField id={`reason-${row.code}-label`} label={t("policy.reason_label")} value={row.label} maxLength={120} onChange={(label) => change(index, { label })} error={labelError} autoComplete="off" />
                  <InlineStack>
                    <Button variant="plain" disclosure={open[row.code] ? "up" : "down"} ariaExpanded={Boolean(open[row.code])} ariaControls={`reason-${row.code}-languages`} onClick={() => setOpen({ ...open, [row.code]: !open[row.code] })}>
                      {t("policy.reason_languages")}
                    </Button>
                  </InlineStack>
                  <Collapsible id={`reason-${row.code}-languages`} open={Boolean(open[row.code])}>
                    <FormLayout>
                      {others.map((language) => (
                        <TextField
                          key={language}
                          id={`reason-${row.code}-${language}`}
                          label={LANGUAGE_NAMES(language)}
                          helpText={t("policy.reason_language_help")}
                          value={row.labels[language] || ""}
                          maxLength={120}
                          onChange={(text) => change(index, { labels: { ...row.labels, [language]: text } })}
                          autoComplete="off"
                        />
                      ))}
                    </FormLayout>
                  </Collapsible>
                </>
              ) : null}
            </BlockStack>
          </Box>
        );
      })}
    </BlockStack>
  );
}
