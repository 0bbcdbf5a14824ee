"""SageMaker: moto's backend plus Studio domains, user profiles, spaces and apps as AWS has them."""
