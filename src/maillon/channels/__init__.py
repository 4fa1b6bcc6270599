"""Shops and marketplaces: orders in; fulfilment, stock and cancellations out (Shopify,
WooCommerce)."""
