import { Card, EmptyState } from "@shopify/polaris";
import { AdminPage } from "../components/AdminPage.jsx";
import { t } from "../i18n.js";
import { BASE } from "../router.js";

export function NotFoundPage() {
  return (
    <AdminPage title={t("not_found.title")}>
      <Card>
        <EmptyState heading={t("not_found.title")} action={{ content: t("nav.requests"), url: `${BASE}/requests` }} image="">
          <p>{t("not_found.body")}</p>
        </EmptyState>
      </Card>
    </AdminPage>
  );
}
