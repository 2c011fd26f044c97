// The admin JSON API (openapi.yaml), each call with a fresh session token from App Bridge.
import { idToken } from "./bridge.js";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.fields = error.fields || {};
    this.fieldErrors = error.field_errors || {};
  }
}

async function send(method, path, body) {
  const token = await idToken();
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`/admin/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function api(method, path, body) {
  let response = await send(method, path, body);
  // A token can expire between App Bridge issuing it and the server reading it: the server then asks for one
  // retry with a fresh token (X-Shopify-Retry-Invalid-Session-Request), as App Bridge's own fetch does.
  if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
    response = await send(method, path, body);
  }
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) {
    if (!response.ok) throw new ApiError(response.status, null);
    return response;
  }
  const json = await response.json();
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export function query(params) {
  const search = new URLSearchParams();
  Object.entries(params).forEach(([name, value]) => {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  });
  const text = search.toString();
  return text ? `?${text}` : "";
}
