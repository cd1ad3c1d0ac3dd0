// A colour shown as a small square beside a name (a tag's, a mark's), as the console's own lists show one.
export { Swatch } from "../../../src/console/settings/ui";
