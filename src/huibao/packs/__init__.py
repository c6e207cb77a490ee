"""Campaign packs and parameters: pack schema, unit and area parameters, shared wording."""
