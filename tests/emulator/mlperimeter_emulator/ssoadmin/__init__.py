"""IAM Identity Center administration: moto's backend with permission sets provisioned account by account."""
