"""KING's kinship thresholds between degrees of relationship, and the IBD cuts within the
first degree (the KING manual, "kinship inference"; ``king`` says how they are used).

Kept apart from ``king`` (numpy and the kernels) so that the command line can show the default
threshold without loading them.
"""

DUPLICATE_MIN = 0.354  # 2^-1.5
FIRST_DEGREE_MIN = 0.177  # 2^-2.5
SECOND_DEGREE_MIN = 0.0884  # 2^-3.5
THIRD_DEGREE_MIN = 0.0442  # 2^-4.5
DEFAULT_MIN_KINSHIP = THIRD_DEGREE_MIN
PO_MAX_K0 = 0.1
FS_MIN_K2 = 0.0625
