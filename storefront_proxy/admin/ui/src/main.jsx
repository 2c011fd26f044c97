// The embedded admin: Requests, Request detail, Policy, Insights and Holds, in Shopify's Polaris.
import "@shopify/polaris/build/esm/styles.css";
import "@shopify/polaris-viz/build/esm/styles.css";
import { AppProvider, Banner, Page } from "@shopify/polaris";
import { Component } from "react";
import { PolarisVizProvider } from "@shopify/polaris-viz";
import { createRoot } from "react-dom/client";
import { setLanguage, t } from "./i18n.js";
import { AppLink } from "./components/AppLink.jsx";
import { BASE, useRoute } from "./router.js";
import { RequestsPage } from "./pages/Requests.jsx";
import { RequestPage } from "./pages/Request.jsx";
import { PolicyPage } from "./pages/Policy.jsx";
import { InsightsPage } from "./pages/Insights.jsx";
import { HoldsPage } from "./pages/Holds.jsx";
import { NotFoundPage } from "./pages/NotFound.jsx";

const config = JSON.parse(document.getElementById("admin-config").textContent);
setLanguage(config.locale, config.messages);

function NavMenu() {
  // App Bridge draws these in the admin's sidebar (and its app menu on a phone); the first, rel="home", is the
  // app's name itself. https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
  return (
    <ui-nav-menu>
      <a href={`${BASE}/requests`} rel="home">{t("nav.requests")}</a>
      <a href={`${BASE}/policy`}>{t("nav.policy")}</a>
      <a href={`${BASE}/insights`}>{t("nav.insights")}</a>
      <a href={`${BASE}/holds`}>{t("nav.holds")}</a>
    </ui-nav-menu>
  );
}

// A page that breaks shows what broke instead of an empty frame; the other pages keep working.
class PageBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Page>
        <Banner tone="critical" title={t("error.page")}>
          <p>{String(this.state.error.message || this.state.error)}</p>
        </Banner>
      </Page>
    );
  }
}

function Router() {
  const { path, params } = useRoute();
  return (
    <PageBoundary key={path}>
      <Section path={path} params={params} />
    </PageBoundary>
  );
}

function Section({ path, params }) {
  const section = path.slice(BASE.length).replace(/\/+$/, "") || "/requests";
  const detail = section.match(/^\/requests\/([A-Za-z0-9_-]+)$/);
  if (detail) return <RequestPage key={detail[1]} id={detail[1]} />;
  if (section === "/requests") return <RequestsPage params={params} />;
  if (section === "/policy") return <PolicyPage />;
  if (section === "/insights") return <InsightsPage params={params} />;
  if (section === "/holds") return <HoldsPage params={params} />;
  return <NotFoundPage />;
}

function Admin() {
  return (
    <AppProvider i18n={config.polaris} linkComponent={AppLink}>
      <PolarisVizProvider>
        <NavMenu />
        <Router />
      </PolarisVizProvider>
    </AppProvider>
  );
}

createRoot(document.getElementById("app")).render(<Admin />);
