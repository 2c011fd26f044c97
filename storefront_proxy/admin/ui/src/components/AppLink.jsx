// Polaris's links and buttons with a `url` render through this: the admin's own pages open without a reload;
// a link within the page (#field) stays in the page; anything else (the order in the Shopify admin) opens in
// the top window, never inside the app's frame.
import { internal, navigate, withContext } from "../router.js";

export function AppLink({ children, url = "", external, target, onClick, ...rest }) {
  if (internal(url)) {
    const follow = (event) => {
      if (onClick) onClick(event);
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      navigate(url);
    };
    return (
      <a {...rest} href={withContext(url)} onClick={follow}>
        {children}
      </a>
    );
  }
  if (url.startsWith("#")) {
    return (
      <a {...rest} href={url} onClick={onClick}>
        {children}
      </a>
    );
  }
  return (
    <a {...rest} href={url} onClick={onClick} target={external ? "_blank" : target || "_top"} rel="noopener noreferrer">
      {children}
    </a>
  );
}
