"""A shopper's edit of an order (fewer items, another variant, a corrected shipping address): its rules, the
storefront's use cases, carrying it out in Shopify and its job. The record and its Redis keys are shared with
cancellations (``cancellations/records.py``, ``cancellations/repository.py``), so support reviews both in one
queue."""
