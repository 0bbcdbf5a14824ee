"""SageMaker: moto's backend plus Studio domains, user profiles and apps as AWS has them."""
