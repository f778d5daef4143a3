"""Request and response models of the contract (../shared/API.md), one module per domain, with examples
for generated clients."""
