"""Identity and relatedness: KING-robust kinship, duplicates across institutions, pedigrees."""
