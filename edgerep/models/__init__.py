"""Model families, one file each; a family registers its variants when imported (the registry imports them lazily)."""
