// cssomStyle({ height: '12px' }) in a `style=${…}` binding: sets each property through the CSSOM
// (element.style.setProperty), on the first render too. Lit's own styleMap writes its first value
// with setAttribute('style', …), which the page's CSP (style-src 'self', no 'unsafe-inline')
// refuses as an inline style attribute (a `style-src-attr` violation); CSSOM writes are not
// governed by CSP. The keys of one binding are expected to stay the same from render to render
// (a property left out later is not removed).
import { noChange } from 'lit';
import { Directive, directive, PartType, type AttributePart, type PartInfo } from 'lit/directive.js';

class CssomStyleDirective extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ATTRIBUTE || info.name !== 'style') throw new Error('cssomStyle() belongs in a style=${…} binding');
  }

  render(_properties: Readonly<Record<string, string>>): typeof noChange { return noChange; }

  override update(part: AttributePart, [properties]: [Readonly<Record<string, string>>]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const [name, value] of Object.entries(properties)) if (style.getPropertyValue(name) !== value) style.setProperty(name, value);
    return noChange;
  }
}

export const cssomStyle = directive(CssomStyleDirective);
