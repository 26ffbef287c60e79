"""The web console: server-rendered pages for the people who hold, govern and look up what a
node keeps, in Chinese and English (docs/console.md). It calls the same services as the API and
the command line, and repeats none of their logic."""
