"""The national survey: cycles, institution returns, provincial and national editions."""
