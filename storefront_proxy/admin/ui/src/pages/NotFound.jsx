import { BlockStack, Button, Card, EmptySearchResult } from "@shopify/polaris";
import { AdminPage } from "../components/AdminPage.jsx";
import { t } from "../i18n.js";
import { BASE } from "../router.js";

export function NotFoundPage() {
  return (
    <AdminPage title={t("not_found.title")}>
      <Card>
        <BlockStack gap="400" inlineAlign="center">
          <EmptySearchResult title={t("not_found.title")} description={t("not_found.body")} withIllustration />
          <Button url={`${BASE}/requests`}>{t("nav.requests")}</Button>
        </BlockStack>
      </Card>
    </AdminPage>
  );
}
