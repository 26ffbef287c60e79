"""The genotype store: VCF/BCF files into one VCF Zarr store per collection, sealed at rest."""
