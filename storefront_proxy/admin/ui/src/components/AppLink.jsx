// Polaris's links and buttons with a `url` render through this: the admin's own pages open without a reload;
// anything else (the order in the Shopify admin) opens in the top window, never inside the app's frame.
import { internal, navigate, withContext } from "../router.js";

export function AppLink({ children, url = "", external, target, ...rest }) {
  if (internal(url)) {
    const follow = (event) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      navigate(url);
    };
    return <a href={withContext(url)} onClick={follow} {...rest}>{children}</a>;
  }
  return (
    <a href={url} target={external ? "_blank" : target || "_top"} rel="noopener noreferrer" {...rest}>
      {children}
    </a>
  );
}
