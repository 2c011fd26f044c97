// One admin page: App Bridge's title bar carries the title (and the way back) in the Shopify admin, as
// Shopify's app template does; the page keeps a heading of its own for screen readers.
import { Page, Text } from "@shopify/polaris";
import { useEffect } from "react";
import { navigate } from "../router.js";

export function AdminPage({ title, back, children, fullWidth, narrowWidth, primaryAction, secondaryActions }) {
  useEffect(() => {
    document.title = title;
  }, [title]);
  return (
    <>
      <ui-title-bar title={title}>
        {back ? (
          <button variant="breadcrumb" onClick={() => navigate(back.url)}>
            {back.label}
          </button>
        ) : null}
      </ui-title-bar>
      <Page
        fullWidth={fullWidth}
        narrowWidth={narrowWidth}
        backAction={back ? { content: back.label, url: back.url } : undefined}
        title={back ? title : undefined}
        primaryAction={primaryAction}
        secondaryActions={secondaryActions}
      >
        {back ? null : (
          <Text as="h1" visuallyHidden>
            {title}
          </Text>
        )}
        {children}
      </Page>
    </>
  );
}
