// A colour shown as a small square beside a name (a tag's, a mark's), as the console's own lists show one, and a
// colour to pick in a form.
export { ColorInput, Swatch } from "../../../src/console/settings/ui";
