// A call that failed, said on the page (a page never goes blank): the title says what failed, the API's
// message why.
import { Banner } from "@shopify/polaris";
import { t } from "../i18n.js";

export function ErrorBanner({ error, title }) {
  if (!error) return null;
  return (
    <Banner tone="critical" title={title || t("error.load")}>
      <p>{error.message}</p>
    </Banner>
  );
}
