// Rejecting asks for what the shopper is told (they read it on the order's page).
import { Modal, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { t } from "../i18n.js";

const MESSAGE_MAX = 500;

export function RejectModal({ open, count = 1, busy, onClose, onReject }) {
  const [message, setMessage] = useState("");
  const [error, setError] = useState(null);
  useEffect(() => {
    if (open) {
      setMessage("");
      setError(null);
    }
  }, [open]);
  const submit = () => {
    if (!message.trim()) {
      setError(t("reject.message_required"));
      return;
    }
    onReject(message.trim());
  };
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={t("reject.title", { count })}
      primaryAction={{ content: t("reject.confirm", { count }), destructive: true, onAction: submit, loading: busy }}
      secondaryActions={[{ content: t("action.cancel"), onAction: onClose }]}
    >
      <Modal.Section>
        <TextField
          label={t("reject.message_label")}
          helpText={t("reject.message_help")}
          value={message}
          onChange={(value) => {
            setMessage(value);
            setError(null);
          }}
          multiline={3}
          maxLength={MESSAGE_MAX}
          showCharacterCount
          autoComplete="off"
          error={error}
        />
      </Modal.Section>
    </Modal>
  );
}
