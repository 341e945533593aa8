"""The pieces of entity extraction: tokens, spoken forms, web addresses, handles, platforms."""
