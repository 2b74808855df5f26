"""One construct per area of the platform; `infra.stacks` composes them."""
