// A card with its heading, as Shopify's admin pages group what belongs together.
import { BlockStack, Card, Text } from "@shopify/polaris";

export function TitledCard({ title, gap = "300", children }) {
  return (
    <Card>
      <BlockStack gap={gap}>
        <Text as="h2" variant="headingMd">
          {title}
        </Text>
        {children}
      </BlockStack>
    </Card>
  );
}
