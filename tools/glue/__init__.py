"""The AWS Glue path: the scale-out engine when one machine is not enough."""
